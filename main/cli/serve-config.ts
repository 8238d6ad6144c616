/**
 * The file `gatehouse serve --config FILE` imports: where a relative path points, and which
 * folder its stdio servers run in.
 *
 * `npm run serve -- --config x.json` runs in the package folder, not where the user typed it;
 * npm keeps that folder in `INIT_CWD`. Paths on our own command line are the user's, so they
 * resolve against it. stdio servers without a `cwd` run in the config file's folder (a relative
 * `cwd` is taken from there too), so `"args": ["./server.js"]` means the file beside the config,
 * whoever starts the gateway and from wherever.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '../../shared/config-schema.js';
import type { ServerConfig } from '../../shared/server-config.js';
import { errorMessage } from '../core/base/logger.js';

/**
 * The folder the user typed the command in: `INIT_CWD` when npm moved us into our own package
 * folder to run one of our scripts, else the working directory. (Inside another project's npm
 * script, the working directory is that project's, which is what its script means.)
 */
export function invocationDir(env: Readonly<NodeJS.ProcessEnv>, cwd: string = process.cwd()): string {
  const init = env.INIT_CWD;
  if (init && env.npm_lifecycle_event && path.resolve(cwd) === packageRoot()) return init;
  return cwd;
}

/** The folder of Gatehouse's package.json, found upwards from this module (source or dist). */
function packageRoot(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return undefined;
}

/** The servers of a config file, ready to import, or the lines that say why not. */
export type ServeConfigResult = { ok: true; file: string; servers: Record<string, ServerConfig> } | { ok: false; errors: string[] };

/**
 * Reads and checks `file` (relative to `baseDir`); stdio servers get the file's folder as their
 * working directory where they name none, or a relative one.
 */
export async function readServeConfig(file: string, baseDir: string): Promise<ServeConfigResult> {
  const resolved = path.resolve(baseDir, file);
  let text: string;
  try {
    text = await readFile(resolved, 'utf8');
  } catch (error) {
    const shown = resolved === file ? file : `${file} (looked for ${resolved})`;
    return { ok: false, errors: [`cannot read config ${shown}: ${errorMessage(error)}`] };
  }
  const parsed = parseConfigText(text, file);
  if (!parsed.ok) return { ok: false, errors: [`${file} is invalid, nothing was started:`, ...parsed.errors.map((line) => `  - ${line}`)] };
  const folder = path.dirname(resolved);
  const servers = Object.fromEntries(
    Object.entries(parsed.servers).map(([name, config]) => [
      name,
      config.transport === 'stdio' ? { ...config, cwd: path.resolve(folder, config.cwd ?? '.') } : config,
    ]),
  );
  return { ok: true, file: resolved, servers };
}
