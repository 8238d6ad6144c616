/**
 * Files that hold credentials or their hashes: written atomically (temp file + rename) with mode
 * 0600 from the first byte, so a crash never leaves half a file and no other user can read
 * one, even for a moment.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Adapter } from 'lowdb';
import { isProcessAlive } from '../base/processes.js';

/** Mode of every file holding secrets, key material or token hashes. */
export const PRIVATE_FILE_MODE = 0o600;
/** Mode of the data directory (as the registry creates it). */
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Replaces `file` with `data` atomically. The temp file is created with mode 0600 (`wx`, so an
 * attacker cannot pre-create it) in the same directory, flushed to disk, then renamed over the
 * target: readers see the old file or the new one, never a mix.
 */
export async function writePrivateFile(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  const temp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', PRIVATE_FILE_MODE);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}

/** Reads `file` as UTF-8, or `undefined` when it does not exist. */
export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Copies `file` to `<file>.backup-<time>` (never over an existing file) and returns the copy's
 * path. libuv's copyfile gives the copy the source's mode, so a 0600 file stays 0600.
 */
export async function backUpFile(file: string, now: Date = new Date()): Promise<string> {
  const target = `${file}.backup-${now.toISOString().replace(/[:.]/g, '-')}`;
  await copyFile(file, target, constants.COPYFILE_EXCL);
  return target;
}

/**
 * A lowdb adapter for JSON files written with {@link writePrivateFile}: lowdb's own `JSONFile`
 * (steno) creates files with the default mode (0644 under the usual umask), which is wrong for
 * token hashes and approvals. Writes are queued, so the last one always lands last.
 */
export class PrivateJsonFile<T> implements Adapter<T> {
  #queue: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  /** The parsed file, `null` when it does not exist; a `SyntaxError` when it is not JSON. */
  async read(): Promise<T | null> {
    const text = await readIfExists(this.file);
    return text === undefined ? null : (JSON.parse(text) as T);
  }

  write(data: T): Promise<void> {
    const text = JSON.stringify(data, null, 2) + '\n';
    const next = this.#queue.then(() => writePrivateFile(this.file, text));
    // A failed write must not wedge the queue; the caller still sees its own failure.
    this.#queue = next.catch(() => {});
    return next;
  }
}

/** How long {@link withFileLock} waits for another process's lock before it gives up. */
const LOCK_WAIT_MS = 5_000;
/** A lock file still empty after this long was left by a process that died while taking it. */
const EMPTY_LOCK_GRACE_MS = 2_000;

/**
 * Runs `fn` while holding `<file>.lock`, so read-modify-write cycles of `file` by several
 * processes (the gateway and `gatehouse tokens`) never interleave: without it, one process's
 * write of an older view undoes another's change (a revoked token comes back). The lock is a file
 * created exclusively (`wx`) holding the holder's pid; a lock whose process is gone is taken
 * over at once. Waits up to 5 s for a live holder, then throws naming it. Not re-entrant.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lock, 'wx', PRIVATE_FILE_MODE);
      try {
        await handle.writeFile(String(process.pid));
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await lockHolder(lock);
    if (holder === 'stale') {
      await unlink(lock).catch(() => {});
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${path.basename(file)} is locked by process ${holder ?? '(unknown)'}; try again`);
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => {});
  }
}

/** The pid holding `lock`, `'stale'` when its holder is gone, `undefined` when it cannot tell yet. */
async function lockHolder(lock: string): Promise<number | 'stale' | undefined> {
  const text = await readIfExists(lock).catch(() => undefined);
  const pid = Number(text);
  if (text !== undefined && text !== '' && Number.isSafeInteger(pid) && pid > 0) return isProcessAlive(pid) ? pid : 'stale';
  // Empty: being written right now, or left by a process that died between create and write.
  const info = await stat(lock).catch(() => undefined);
  return info && Date.now() - info.mtimeMs > EMPTY_LOCK_GRACE_MS ? 'stale' : undefined;
}
