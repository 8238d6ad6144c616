/**
 * Installs a generated client entry into (and removes it from) a desktop client's own config
 * file for the current user, keeping everything else in the file as it was (how each format is
 * edited: `config-edit.ts`).
 *
 * Before any change the file is copied to `<file>.backup-<time>`, and the new text is written
 * beside the file and renamed over it. A file that does not parse is never overwritten:
 * {@link InvalidConfigFileError} says where it is broken. Installing the same entry twice
 * changes nothing; removing takes out exactly the entry (and the VS Code input) that install
 * wrote.
 */
import { constants } from 'node:fs';
import { copyFile, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConfigEntry } from '../../../shared/client-configs/types.js';
import { backUpFile, readIfExists } from '../security/private-file.js';
import { editText, readEntry } from './config-edit.js';

export { InvalidConfigFileError } from './config-edit.js';
export { findConfigFile, resolvePathTemplate, type InstallEnv } from './config-location.js';

/** What {@link installEntry} and {@link removeEntry} did. */
export interface EditResult {
  file: string;
  /** False when the file already was as wanted (nothing written, no backup). */
  changed: boolean;
  /** The copy made before the change, when the file existed. */
  backup?: string;
  /** True when the file did not exist before. */
  created: boolean;
}

/** Writes `entry` into `file` (created when missing). Idempotent. */
export async function installEntry(file: string, entry: Readonly<ConfigEntry>, opts: { now?: () => Date } = {}): Promise<EditResult> {
  const before = await readIfExists(file);
  const after = editText(file, before ?? '', entry, 'install');
  return commit(file, before, after, opts.now);
}

/** Takes `entry` (by its container and name) out of `file`. Idempotent; a missing file is left missing. */
export async function removeEntry(file: string, entry: Readonly<ConfigEntry>, opts: { now?: () => Date } = {}): Promise<EditResult> {
  const before = await readIfExists(file);
  if (before === undefined) return { file, changed: false, created: false };
  const after = editText(file, before, entry, 'remove');
  return commit(file, before, after, opts.now);
}

/** True when `file` holds an entry named like `entry` (whatever its value). */
export async function hasEntry(file: string, entry: Readonly<ConfigEntry>): Promise<boolean> {
  const text = await readIfExists(file);
  if (text === undefined) return false;
  return readEntry(file, text, entry) !== undefined;
}

/** The value of the entry named like `entry` in `file`, or `undefined`. Throws on an invalid file. */
export async function readInstalledEntry(file: string, entry: Readonly<ConfigEntry>): Promise<unknown> {
  const text = await readIfExists(file);
  return text === undefined ? undefined : readEntry(file, text, entry);
}

async function commit(file: string, before: string | undefined, after: string, now = (): Date => new Date()): Promise<EditResult> {
  if (before === after) return { file, changed: false, created: false };
  let backup: string | undefined;
  let mode = 0o600;
  if (before !== undefined) {
    backup = await backUp(file, now());
    mode = (await stat(file)).mode & 0o777;
  } else {
    await mkdir(path.dirname(file), { recursive: true });
  }
  // Written beside the file and renamed over it: a crash leaves the old file or the new one.
  const tmp = `${file}.gatehouse-${process.pid}.tmp`;
  await writeFile(tmp, after, { mode });
  await rename(tmp, file);
  return { file, changed: true, created: before === undefined, ...(backup ? { backup } : {}) };
}

// --- helpers ------------------------------------------------------------------------------------

/** {@link backUpFile}, with `-1`, `-2`, ... when two changes fall in the same millisecond. */
async function backUp(file: string, now: Date): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      if (attempt === 0) return await backUpFile(file, now);
      const target = `${file}.backup-${now.toISOString().replace(/[:.]/g, '-')}-${attempt}`;
      await copyFile(file, target, constants.COPYFILE_EXCL);
      return target;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 100) throw error;
    }
  }
}
