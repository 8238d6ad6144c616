/**
 * Where a desktop client keeps its config file for the current user, and the name Gatehouse's
 * entry gets there. Kept apart from the editing (install.ts), so `gatehouse client show` finds
 * the file without loading the JSONC, TOML and YAML editors.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ClientId, ClientOs, ConfigEntry } from '../../../shared/client-configs/types.js';

/** Where the current user's files are: passed in, so tests use temporary homes. */
export interface InstallEnv {
  home: string;
  platform: ClientOs;
  /** Environment variables that move config files (APPDATA, XDG_CONFIG_HOME, CODEX_HOME, ...). */
  env: Readonly<Record<string, string | undefined>>;
  now?: () => Date;
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

/** The entry name used when none is given: `gatehouse`, or `gatehouse-<server>`. */
export function defaultEntryName(server?: string): string {
  return server === undefined ? 'gatehouse' : `gatehouse-${server.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 64);
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
