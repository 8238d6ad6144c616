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
import type { ClientId, ClientOs, ConfigEntry } from '../../../shared/client-configs/types.js';
import { backUpFile, readIfExists } from '../security/private-file.js';
import { editText, readEntry } from './config-edit.js';

export { InvalidConfigFileError } from './config-edit.js';

/** Where the current user's files are: passed in, so tests use temporary homes. */
export interface InstallEnv {
  home: string;
  platform: ClientOs;
  /** Environment variables that move config files (APPDATA, XDG_CONFIG_HOME, CODEX_HOME, ...). */
  env: Readonly<Record<string, string | undefined>>;
  now?: () => Date;
}

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

/** Environment variables that relocate a client's whole config dir or file (CLIENTS.md §3). */
const OVERRIDES: Partial<Record<ClientId, (env: InstallEnv['env']) => string | undefined>> = {
  codex: (env) => (env.CODEX_HOME ? path.join(env.CODEX_HOME, 'config.toml') : undefined),
  'copilot-cli': (env) => (env.COPILOT_HOME ? path.join(env.COPILOT_HOME, 'mcp-config.json') : undefined),
  'claude-code': (env) => (env.CLAUDE_CONFIG_DIR ? path.join(env.CLAUDE_CONFIG_DIR, '.claude.json') : undefined),
  cline: (env) => env.CLINE_MCP_SETTINGS_PATH ?? (env.CLINE_DIR ? path.join(env.CLINE_DIR, 'data/settings/cline_mcp_settings.json') : undefined),
};

/** A path template of {@link ConfigEntry.paths} with the home folder and variables filled in. */
export function resolvePathTemplate(template: string, ienv: Readonly<InstallEnv>): string {
  const p = ienv.platform === 'win32' ? path.win32 : path.posix;
  const { env, home } = ienv;
  const filled = template
    .replace(/^~(?=$|[\\/])/, home)
    .replace('%USERPROFILE%', home)
    .replace('%APPDATA%', env.APPDATA ?? p.join(home, 'AppData', 'Roaming'))
    .replace('%LOCALAPPDATA%', env.LOCALAPPDATA ?? p.join(home, 'AppData', 'Local'))
    .replace('$XDG_CONFIG_HOME', env.XDG_CONFIG_HOME ?? p.join(home, '.config'));
  return p.normalize(filled);
}

/**
 * The file to edit for `client`: an override from the environment, else the first listed path
 * that exists, else the first whose folder exists (the client is installed), else the first.
 */
export async function findConfigFile(client: ClientId, entry: Pick<ConfigEntry, 'paths'>, ienv: Readonly<InstallEnv>): Promise<string> {
  const override = OVERRIDES[client]?.(ienv.env);
  if (override) return override;
  const candidates = (entry.paths[ienv.platform] ?? []).map((t) => resolvePathTemplate(t, ienv));
  if (candidates.length === 0) throw new Error(`${client} has no config file on ${ienv.platform}`);
  for (const file of candidates) if (await exists(file)) return file;
  for (const file of candidates) if (await exists(path.dirname(file))) return file;
  return candidates[0]!;
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

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
