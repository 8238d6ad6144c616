/**
 * One gateway per data directory. Two gateways on one data dir would each start the backends,
 * overwrite each other's pidfile and interleave audit writes (breaking the hash chain), so the
 * gateway takes `gateway.lock` before it opens anything, and the file doubles as the record of
 * the running gateway: its pid and, once it listens, its URL, which `gatehouse client`,
 * `gatehouse bridge` and the refusal of a second gateway read.
 *
 * Why a pid file and not a lock library: proper-lockfile (the usual choice) proves liveness by
 * rewriting the lock's mtime on a timer, so a lock left by a killed gateway blocks the next
 * start until it goes stale, and a laptop waking from sleep finds its own lock "compromised"
 * and, by default, throws. Node has no flock(). Here the kernel answers instead: a lock whose
 * process is gone (or now runs another program, pids being reused) is stale at once.
 *
 * The file is created complete and atomically: the record is written to a temporary file that
 * is then hard-linked to `gateway.lock`, which fails when the name exists, so no reader ever
 * sees half a record. Filesystems without hard links get an exclusive create instead.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { unlinkSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorMessage } from '../base/logger.js';
import { isProcessAlive, processCommandLine } from '../base/processes.js';
import { PRIVATE_FILE_MODE, writePrivateFile } from '../security/private-file.js';

/** The lock file's name in the data dir. */
export const LOCK_FILE = 'gateway.lock';

/** The locks this process holds (pid and start time), to tell them from a stale lock with our pid. */
const heldHere = new Set<string>();

function lockKey(record: GatewayRecord): string {
  return `${record.pid}@${record.startedAt}`;
}

/** A lock file that cannot be parsed is taken for one being written for this long, then for debris. */
const UNREADABLE_GRACE_MS = 10_000;

/** What `gateway.lock` holds: who runs the gateway on this data dir, and where it listens. */
export interface GatewayRecord {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** What holds it: `gatehouse serve` or `Gatehouse desktop app`. */
  app: string;
  /** The program and script that run it (`process.argv` 0 and 1), to tell a reused pid. */
  argv: string[];
  /** The base URL local clients use (`http://127.0.0.1:7420`), once the gateway listens. */
  url?: string;
}

/** Thrown by {@link acquireDataDirLock} when a live gateway holds the data dir. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: GatewayRecord,
  ) {
    const where = holder.url ? `listening on ${holder.url}` : 'still starting (no URL yet)';
    const host = holder.hostname !== os.hostname() ? ` on host ${holder.hostname}` : '';
    super(
      `another Gatehouse gateway is using the data dir ${dataDir}: ${holder.app}, pid ${holder.pid}${host}, ${where}, since ${holder.startedAt}. ` +
        `Stop it first, or use another --data-dir.`,
    );
    this.name = 'DataDirLockedError';
  }
}

/** A held lock: record the URL once listening; release on the way out. */
export interface DataDirLock {
  readonly file: string;
  readonly record: Readonly<GatewayRecord>;
  /** Writes the URL local clients should use into the record. */
  setUrl(url: string): Promise<void>;
  /** Removes the lock file if it is still this process's. Idempotent. */
  release(): Promise<void>;
}

/** Options of {@link acquireDataDirLock}. */
export interface AcquireLockOptions {
  /** What holds the lock, for the message a second gateway prints. Default `gatehouse`. */
  app?: string;
}

/**
 * Takes the data dir's lock for this process, removing a stale one (its process is gone).
 *
 * @throws DataDirLockedError when a live gateway holds it.
 */
export async function acquireDataDirLock(dataDir: string, opts: Readonly<AcquireLockOptions> = {}): Promise<DataDirLock> {
  const file = path.join(dataDir, LOCK_FILE);
  const record: GatewayRecord = {
    pid: process.pid,
    hostname: os.hostname(),
    startedAt: new Date().toISOString(),
    app: opts.app ?? 'gatehouse',
    argv: process.argv.slice(0, 2),
  };
  // A few rounds: each ends with the lock taken, a live holder found, or a stale lock removed.
  for (let round = 0; round < 5; round++) {
    if (await createExclusive(file, record)) return new HeldLock(file, record);
    const holder = await readLockFile(file);
    if (holder === 'missing') continue;
    if (holder !== 'unreadable' && (await isRunning(holder))) throw new DataDirLockedError(dataDir, holder);
    if (holder === 'unreadable' && (await isFresh(file))) {
      throw new Error(`${file} is being written by another process (a gateway starting?); try again, or delete the file if no gateway runs`);
    }
    await removeStale(file, holder);
  }
  throw new Error(`cannot take ${file}: it keeps changing (several gateways starting at once?)`);
}

/**
 * The gateway running on `dataDir` as its lock file records it, or `undefined` when none runs
 * (no lock, or a stale one).
 */
export async function readRunningGateway(dataDir: string): Promise<GatewayRecord | undefined> {
  const holder = await readLockFile(path.join(dataDir, LOCK_FILE));
  if (holder === 'missing' || holder === 'unreadable') return undefined;
  return (await isRunning(holder)) ? holder : undefined;
}

class HeldLock implements DataDirLock {
  #record: GatewayRecord;
  #released = false;
  // A gateway that ends through process.exit() (a fatal error) still leaves no lock behind.
  readonly #onExit = (): void => this.#releaseSync();

  constructor(
    readonly file: string,
    record: GatewayRecord,
  ) {
    this.#record = record;
    heldHere.add(lockKey(record));
    process.once('exit', this.#onExit);
  }

  get record(): Readonly<GatewayRecord> {
    return this.#record;
  }

  async setUrl(url: string): Promise<void> {
    if (this.#released) return;
    this.#record = { ...this.#record, url };
    // Replaced by rename, so readers see the old record or the new one.
    await writePrivateFile(this.file, serialize(this.#record));
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    heldHere.delete(lockKey(this.#record));
    process.off('exit', this.#onExit);
    const current = await readLockFile(this.file);
    if (typeof current === 'object' && isSame(current, this.#record)) await unlink(this.file).catch(() => undefined);
  }

  #releaseSync(): void {
    if (this.#released) return;
    this.#released = true;
    try {
      const current = parseRecord(readFileSync(this.file, 'utf8'));
      if (current && isSame(current, this.#record)) unlinkSync(this.file);
    } catch {
      // Gone already, or unreadable: nothing of ours to remove.
    }
  }
}

function serialize(record: GatewayRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/** Creates `file` holding `record` unless it exists; false when it does. */
async function createExclusive(file: string, record: GatewayRecord): Promise<boolean> {
  const temp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await writePrivateFile(temp, serialize(record));
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // No hard links here (FAT, some network shares): an exclusive create, written at once.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP') return createWithOpen(file, record);
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function createWithOpen(file: string, record: GatewayRecord): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'wx', PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(serialize(record));
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

async function readLockFile(file: string): Promise<GatewayRecord | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw new Error(`cannot read ${file}: ${errorMessage(error)}`);
  }
  return parseRecord(text) ?? 'unreadable';
}

function parseRecord(text: string): GatewayRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<GatewayRecord>;
    if (!Number.isInteger(value.pid) || typeof value.hostname !== 'string' || typeof value.startedAt !== 'string') return undefined;
    return {
      pid: value.pid!,
      hostname: value.hostname,
      startedAt: value.startedAt,
      app: typeof value.app === 'string' ? value.app : 'gatehouse',
      argv: Array.isArray(value.argv) ? value.argv.filter((a): a is string => typeof a === 'string') : [],
      ...(typeof value.url === 'string' ? { url: value.url } : {}),
    };
  } catch {
    return undefined;
  }
}

function isSame(a: GatewayRecord, b: GatewayRecord): boolean {
  return lockKey(a) === lockKey(b) && a.hostname === b.hostname;
}

/**
 * Whether the lock's holder still runs: its pid is alive and runs the program that took the
 * lock (pids get reused, after a reboot above all). The hostname is not compared: a container
 * gets a new one at every start, and its gateway would never take its own stale lock back.
 * (So two machines sharing one data dir over the network are not kept apart.)
 */
async function isRunning(holder: GatewayRecord): Promise<boolean> {
  // In a container the gateway is pid 1 at every start: our own pid is a live holder only
  // when this very process took the lock.
  if (holder.pid === process.pid) return heldHere.has(lockKey(holder));
  if (!isProcessAlive(holder.pid)) return false;
  const command = await processCommandLine(holder.pid);
  if (command === undefined) return true;
  const marks = holder.argv.map((arg) => path.basename(arg)).filter(Boolean);
  return marks.every((mark) => command.includes(mark));
}

async function isFresh(file: string): Promise<boolean> {
  const info = await stat(file).catch(() => undefined);
  return info !== undefined && Date.now() - info.mtimeMs < UNREADABLE_GRACE_MS;
}

/**
 * Removes a stale lock, and only that one: it is moved aside first (atomically, so only one
 * remover gets it), then checked. When another process replaced the stale lock with a live one
 * in between, that one is put back.
 */
async function removeStale(file: string, stale: GatewayRecord | 'unreadable'): Promise<void> {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readLockFile(aside);
  const isTheStaleOne = stale === 'unreadable' ? moved === 'unreadable' : typeof moved === 'object' && isSame(moved, stale);
  if (!isTheStaleOne) await link(aside, file).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}
