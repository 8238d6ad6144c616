/**
 * Files that hold credentials or their hashes: written atomically (temp file + rename) with mode
 * 0600 from the first byte, so a crash never leaves half a file and no other user can read
 * one, even for a moment.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Adapter } from 'lowdb';

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
