/**
 * The PATH a user's login shell sets up.
 *
 * Apps started from the macOS Dock or a Linux desktop launcher inherit launchd's or the session's
 * bare PATH (`/usr/bin:/bin:/usr/sbin:/sbin`), not the one `~/.zprofile`, Homebrew, nvm or volta
 * build, so `npx`, `uvx` or `docker` are "not found" although they work in a terminal. Like VS
 * Code (src/vs/platform/shell/node/shellEnv.ts), we ask the user's shell once, as an interactive
 * login shell, and print PATH between random markers so whatever the rc files print is ignored.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Options of {@link resolveLoginShellPath}. */
export interface LoginShellPathOptions {
  /** The PATH to use when the shell cannot be asked (and to merge in after the shell's). */
  fallback: string;
  /** Default `$SHELL`, else `/bin/zsh` on macOS and `/bin/sh` elsewhere. */
  shell?: string;
  /** Default `process.platform`. */
  platform?: NodeJS.Platform;
  /** How long the shell may take. Default {@link DEFAULT_SHELL_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** The environment the shell starts with. Default `process.env`. */
  env?: Readonly<NodeJS.ProcessEnv>;
  /** Default `os.homedir()`. */
  home?: string;
  /** File-system probes for the well-known directories. */
  fs?: PathProbe;
  /** Told why the login shell's PATH could not be used (for the log). */
  onFallback?: (reason: string) => void;
}

/** The few file-system reads {@link wellKnownPathDirs} needs, injectable for tests. */
export interface PathProbe {
  isDirectory(dir: string): boolean;
  readText(file: string): string | undefined;
  listDir(dir: string): string[];
}

/** Result of {@link readLoginShellPath}. */
export type LoginShellPathResult = { ok: true; path: string } | { ok: false; reason: string };

/** The pair of markers printed around PATH. */
export interface PathMarkers {
  start: string;
  end: string;
}

/** Login shells with heavy rc files (oh-my-zsh, conda init) can take a second or two. */
export const DEFAULT_SHELL_TIMEOUT_MS = 3000;

/** Set in the shell's environment so rc files can skip slow work while Gatehouse asks. */
export const RESOLVING_ENV_VAR = 'GATEHOUSE_RESOLVING_ENVIRONMENT';

/** Output beyond this is noise: give up rather than buffer without bound. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

/**
 * The PATH stdio backends should get: the login shell's entries first, then those of `fallback`
 * not already present, then the well-known tool directories that exist (Homebrew, volta, uv,
 * cargo, bun, the nvm default) and are still missing.
 *
 * On Windows there is no login shell to ask (GUI apps get the full user PATH from the registry)
 * and `fallback` is returned as is. Never rejects: any failure of the shell (missing, slow,
 * unusual syntax such as nushell's) falls back to `fallback`, reported through `onFallback`.
 */
export async function resolveLoginShellPath(opts: Readonly<LoginShellPathOptions>): Promise<string> {
  const platform = opts.platform ?? process.platform;
  if (platform === 'win32') return opts.fallback;
  const env = opts.env ?? process.env;
  const shell = opts.shell ?? nonEmpty(env['SHELL']) ?? (platform === 'darwin' ? '/bin/zsh' : '/bin/sh');
  const result = await readLoginShellPath(shell, { timeoutMs: opts.timeoutMs, env });
  if (!result.ok) opts.onFallback?.(result.reason);
  const extras = wellKnownPathDirs({
    platform,
    home: opts.home ?? os.homedir(),
    env,
    fs: opts.fs ?? nodePathProbe,
  });
  return mergePathLists([result.ok ? result.path : undefined, opts.fallback, extras.join(':')]);
}

/**
 * Runs `<shell> -ilc <print PATH>` (`-ic` for csh/tcsh, which refuse `-l` with other flags) and
 * extracts PATH from between the markers.
 *
 * The shell runs detached (its own session and process group): an interactive shell would
 * otherwise take over the terminal `gatehouse serve` runs in, and a timeout can kill the whole
 * group, including whatever the rc files started. stdin is `/dev/null`, stderr is dropped.
 * Resolves as soon as the end marker arrives, without waiting for background jobs the rc files
 * left holding stdout open.
 */
export function readLoginShellPath(
  shell: string,
  opts: Readonly<{ timeoutMs?: number | undefined; env?: Readonly<NodeJS.ProcessEnv> | undefined }> = {},
): Promise<LoginShellPathResult> {
  const markers = createPathMarkers();
  const name = path.posix.basename(shell);
  const flags = name === 'csh' || name === 'tcsh' ? '-ic' : '-ilc';
  const timeoutMs = opts.timeoutMs ?? DEFAULT_SHELL_TIMEOUT_MS;

  return new Promise((resolve) => {
    let output = '';
    let settled = false;
    const child = spawn(shell, [flags, buildPrintPathCommand(markers)], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...(opts.env ?? process.env), [RESOLVING_ENV_VAR]: '1' },
    });

    const finish = (result: LoginShellPathResult, killGroup: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killGroup && child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone: nothing to clean up.
        }
      }
      child.stdout?.destroy();
      child.unref();
      resolve(result);
    };

    const timer = setTimeout(() => {
      finish({ ok: false, reason: `${shell} did not print PATH within ${timeoutMs} ms` }, true);
    }, timeoutMs);

    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
      const value = extractMarkedValue(output, markers);
      if (value !== undefined) {
        finish(value === '' ? { ok: false, reason: `${shell} printed an empty PATH` } : { ok: true, path: value }, false);
      } else if (output.length > MAX_OUTPUT_BYTES) {
        finish({ ok: false, reason: `${shell} printed more than ${MAX_OUTPUT_BYTES} bytes without PATH` }, true);
      }
    });
    child.on('error', (error) => {
      finish({ ok: false, reason: `could not run ${shell}: ${error.message}` }, false);
    });
    child.on('close', (code, signal) => {
      const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
      finish({ ok: false, reason: `${shell} ${how} without printing PATH` }, false);
    });
  });
}

/** A fresh pair of markers; the random part makes them impossible to meet in rc-file output. */
export function createPathMarkers(random: () => string = () => randomBytes(8).toString('hex')): PathMarkers {
  const id = random();
  return { start: `__GATEHOUSE_PATH_${id}_START__`, end: `__GATEHOUSE_PATH_${id}_END__` };
}

/**
 * The command the shell runs: `printf` of the markers around `"$PATH"`, in syntax that sh, bash,
 * zsh, fish (which joins a quoted `$PATH` with colons) and tcsh all accept. Each marker is split
 * into two quoted halves, so a shell that echoes its command line (`set -x`, `set -v`) never
 * prints a complete marker.
 */
export function buildPrintPathCommand(markers: PathMarkers): string {
  const halves = (marker: string): string => {
    const middle = Math.floor(marker.length / 2);
    return `'${marker.slice(0, middle)}' '${marker.slice(middle)}'`;
  };
  return `printf '%s%s%s%s%s' ${halves(markers.start)} "$PATH" ${halves(markers.end)}`;
}

/** The text between the first start marker and the end marker after it, or `undefined`. */
export function extractMarkedValue(output: string, markers: PathMarkers): string | undefined {
  const start = output.indexOf(markers.start);
  if (start === -1) return undefined;
  const from = start + markers.start.length;
  const end = output.indexOf(markers.end, from);
  return end === -1 ? undefined : output.slice(from, end);
}

/**
 * Concatenates PATH strings, keeping the first occurrence of each directory (a trailing `/` does
 * not make a directory different) and dropping empty entries, which POSIX reads as "the current
 * directory". `undefined` lists are skipped.
 */
export function mergePathLists(lists: ReadonlyArray<string | undefined>, delimiter = ':'): string {
  const seen = new Set<string>();
  const merged: string[] = [];
  for (const list of lists) {
    if (list === undefined) continue;
    for (const entry of list.split(delimiter)) {
      if (entry === '') continue;
      const key = entry.length > 1 ? entry.replace(/\/+$/, '') : entry;
      if (seen.has(key)) continue;
      seen.add(key);
      merged.push(entry);
    }
  }
  return merged.join(delimiter);
}

/**
 * Directories where package managers put the commands MCP server configs name (`npx`, `uvx`,
 * `bunx`, `docker`) that exist on this machine, in this order: Homebrew on Apple silicon,
 * `/usr/local/bin` (Intel Homebrew, Docker Desktop), `~/.local/bin` (uv, pipx), `~/.cargo/bin`
 * (older uv installs), `~/.volta/bin`, `~/.bun/bin`, and the `bin` of nvm's default Node.
 */
export function wellKnownPathDirs(
  opts: Readonly<{ platform: NodeJS.Platform; home: string; env?: Readonly<NodeJS.ProcessEnv>; fs: PathProbe }>,
): string[] {
  if (opts.platform === 'win32') return [];
  const p = path.posix;
  const home = opts.home;
  const candidates = [
    ...(opts.platform === 'darwin' ? ['/opt/homebrew/bin'] : []),
    '/usr/local/bin',
    p.join(home, '.local', 'bin'),
    p.join(home, '.cargo', 'bin'),
    p.join(home, '.volta', 'bin'),
    p.join(home, '.bun', 'bin'),
  ];
  const nvmDir = nonEmpty(opts.env?.['NVM_DIR']) ?? p.join(home, '.nvm');
  const nvmBin = nvmDefaultBin(nvmDir, opts.fs);
  if (nvmBin !== undefined) candidates.push(nvmBin);
  return candidates.filter((dir) => opts.fs.isDirectory(dir));
}

/**
 * The `bin` directory of nvm's default Node: `alias/default` names a version prefix (`22`,
 * `v20.11.1`), `node`/`stable` (the newest), or another alias such as `lts/*` (followed a few
 * hops through `alias/lts/...`). The newest installed version matching it wins.
 */
export function nvmDefaultBin(nvmDir: string, fs: PathProbe): string | undefined {
  const p = path.posix;
  let alias = fs.readText(p.join(nvmDir, 'alias', 'default'))?.trim();
  for (let hop = 0; hop < 4 && alias !== undefined && !/^(v?\d|node$|stable$)/.test(alias); hop++) {
    alias = fs.readText(p.join(nvmDir, 'alias', alias))?.trim();
  }
  if (alias === undefined || alias === '') return undefined;

  const versionsDir = p.join(nvmDir, 'versions', 'node');
  const wanted = alias === 'node' || alias === 'stable' ? undefined : alias.replace(/^v/, '').split('.');
  const matching = fs
    .listDir(versionsDir)
    .map((dir) => ({ dir, parts: /^v(\d+)\.(\d+)\.(\d+)$/.exec(dir)?.slice(1).map(Number) }))
    .filter((v): v is { dir: string; parts: number[] } => v.parts !== undefined)
    .filter((v) => wanted === undefined || wanted.every((part, i) => String(v.parts[i]) === part))
    .sort((a, b) => compareVersions(b.parts, a.parts));
  const newest = matching[0];
  return newest === undefined ? undefined : p.join(versionsDir, newest.dir, 'bin');
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value !== '' ? value : undefined;
}

/** {@link PathProbe} over the real file system. */
export const nodePathProbe: PathProbe = {
  isDirectory: (dir) => {
    try {
      return statSync(dir).isDirectory();
    } catch {
      return false;
    }
  },
  readText: (file) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  },
  listDir: (dir) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
};
