/**
 * Resolves a stdio server's `command` the way a login shell would, and turns it into arguments
 * for `child_process.spawn` without `shell: true`.
 *
 * Why not `shell: true`: it hands the whole command line to `/bin/sh` or `cmd.exe` unescaped, so
 * an argument such as `a&b` becomes two commands. Why not plain `spawn('npx', ...)`: on Windows
 * `npx` is `npx.cmd`, a batch file, which `CreateProcess` cannot start without `cmd.exe`, and
 * since the fix for CVE-2024-27980 (Node's April 2024 security releases) `spawn` refuses
 * `.bat`/`.cmd` files without `shell: true` (EINVAL).
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** Where and how to look a command up. Every field is injectable so tests run on any OS. */
export interface CommandLookupOptions {
  /** The PATH the child will see (the login-shell PATH merged with the server's env). */
  PATH: string;
  /** Default `process.platform`. */
  platform?: NodeJS.Platform;
  /** Windows only: extensions to try, `;`-separated. Default `.COM;.EXE;.BAT;.CMD`. */
  PATHEXT?: string;
  /** The child's working directory: relative command paths are relative to it. */
  cwd?: string;
  /** Windows only: the command interpreter for `.cmd`/`.bat` files. Default `%COMSPEC%`, else `cmd.exe`. */
  comspec?: string;
  /** Default: a regular file with an execute bit (POSIX), a regular file (Windows). */
  isExecutable?: (file: string) => boolean;
}

/** What to pass to `child_process.spawn(file, args, { windowsVerbatimArguments })`. */
export interface SpawnPlan {
  file: string;
  args: string[];
  /** Set when `args` are already quoted for `cmd.exe` and Node must not quote them again. */
  windowsVerbatimArguments?: boolean;
}

/** Thrown by {@link buildSpawnPlan} when a bare command name is on no PATH directory. */
export class CommandNotFoundError extends Error {
  override readonly name = 'CommandNotFoundError';

  constructor(
    readonly command: string,
    readonly searched: readonly string[],
  ) {
    super(`command ${JSON.stringify(command)} not found on PATH (${describeSearched(searched)})`);
  }
}

const DEFAULT_PATHEXT = '.COM;.EXE;.BAT;.CMD';
const MAX_LISTED_DIRS = 6;

/** Files `CreateProcess` starts directly; everything else on Windows goes through `cmd.exe` (as in cross-spawn). */
const WINDOWS_EXECUTABLE = /\.(?:com|exe)$/i;
/** npm's cmd-shims in `node_modules\.bin`, which re-expand their arguments through `%*`. */
const NPM_CMD_SHIM = /node_modules[\\/]\.bin[\\/][^\\/]+\.cmd$/i;

/**
 * The file a command refers to, or `undefined` when a bare name is found on no PATH directory.
 *
 * - A command containing a path separator is a path and is returned as is (relative paths stay
 *   relative to the child's `cwd`, as `spawn` treats them). On Windows, a path without an
 *   existing file gets the PATHEXT extensions tried (`.\tools\serve` finds `serve.cmd`).
 * - A bare name is searched along PATH, in order. Relative and empty PATH entries are skipped:
 *   a command must not be picked up from whatever the working directory happens to be.
 * - On Windows each directory is tried with every PATHEXT extension, and with the name as
 *   written first if it already has an extension (`node.exe`), as `where`/node-which do. A bare
 *   `npx` is never taken without extension: npm installs a POSIX `npx` script beside `npx.cmd`.
 */
export function resolveCommand(command: string, opts: Readonly<CommandLookupOptions>): string | undefined {
  const platform = opts.platform ?? process.platform;
  const isWindows = platform === 'win32';
  const p = isWindows ? path.win32 : path.posix;
  const isExecutable = opts.isExecutable ?? defaultIsExecutable(isWindows);
  if (command.length === 0) return undefined;

  const candidates = (base: string): string[] => {
    if (!isWindows) return [base];
    const extensions = splitPathExt(opts.PATHEXT);
    const hasExtension = p.extname(base) !== '';
    return [...(hasExtension ? [base] : []), ...extensions.map((ext) => base + ext)];
  };

  if (isPathLike(command, isWindows)) {
    if (!isWindows) return command;
    const found = candidates(command).find((candidate) => isExecutable(p.resolve(opts.cwd ?? '', candidate)));
    return found ?? command;
  }

  for (const dir of splitPath(opts.PATH, platform)) {
    for (const candidate of candidates(command)) {
      const file = p.join(dir, candidate);
      if (isExecutable(file)) return file;
    }
  }
  return undefined;
}

/**
 * The `spawn` arguments that run `command` with `args` exactly, without `shell: true`.
 *
 * On POSIX, and for `.exe`/`.com` on Windows, that is the resolved file and the arguments
 * unchanged. Anything else on Windows (`.cmd`/`.bat` shims such as `npx.cmd`) runs as
 * `cmd.exe /d /s /c "<command line>"` with `windowsVerbatimArguments`, every part escaped for
 * `cmd.exe` by {@link escapeCmdCommand} and {@link escapeCmdArgument}.
 *
 * @throws CommandNotFoundError when a bare command name is on no PATH directory.
 * @throws Error when the command is empty, or when an argument for a `cmd.exe` launch contains a
 *   line break (cmd.exe would cut the command line there).
 */
export function buildSpawnPlan(
  command: string,
  args: readonly string[],
  opts: Readonly<CommandLookupOptions>,
): SpawnPlan {
  const platform = opts.platform ?? process.platform;
  if (command.trim().length === 0) throw new Error('command is empty');
  const file = resolveCommand(command, opts);
  if (file === undefined) throw new CommandNotFoundError(command, splitPath(opts.PATH, platform));
  if (platform !== 'win32' || WINDOWS_EXECUTABLE.test(file)) return { file, args: [...args] };

  // Same shape as cross-spawn's lib/parse.js (parseNonShell), except that the resolved file is
  // named rather than the bare command, so cmd.exe does not repeat the lookup on its own.
  const doubleEscape = NPM_CMD_SHIM.test(file);
  const broken = args.findIndex((arg) => /[\r\n]/.test(arg));
  if (broken !== -1) {
    throw new Error(
      `argument ${broken + 1} of ${JSON.stringify(command)} contains a line break, which cmd.exe cannot pass to ${path.win32.basename(file)}`,
    );
  }
  const commandLine = [
    escapeCmdCommand(path.win32.normalize(file)),
    ...args.map((arg) => escapeCmdArgument(arg, doubleEscape)),
  ].join(' ');
  return {
    file: opts.comspec ?? defaultComspec(),
    // `/d` skips AutoRun commands from the registry; `/s` makes cmd strip exactly the outer quotes.
    args: ['/d', '/s', '/c', `"${commandLine}"`],
    windowsVerbatimArguments: true,
  };
}

// ---------------------------------------------------------------------------------------------
// cmd.exe escaping
//
// These are the rules of cross-spawn (lib/util/escape.js, MIT,
// https://github.com/moxystudio/node-cross-spawn/blob/master/lib/util/escape.js), which take the
// argument quoting from https://qntm.org/cmd and the list of cmd.exe metacharacters from
// http://www.robvanderwoude.com/escapechars.php:
//   1. Quote for the C runtime's argv parser (CommandLineToArgvW): backslashes before a `"` are
//      doubled and the `"` becomes `\"`; trailing backslashes are doubled (they will precede the
//      closing quote); the whole argument is wrapped in `"`.
//   2. Escape for cmd.exe: every metacharacter `( ) [ ] % ! ^ " \` < > & | ; , space * ?` gets a
//      `^`, the quotes from step 1 included, so cmd never enters quoted mode and never expands
//      `%VAR%` or `!VAR!`, and the caret-escaped quotes reach the program as plain quotes.
//   3. npm cmd-shims in node_modules\.bin pass `%*` through a second cmd parse, so their arguments
//      get the metacharacter escape twice (the comment in cross-spawn's lib/parse.js).
// The command itself only needs step 2.
// One thing no escaping can do is carry a line break: cmd.exe ends the command at CR or LF, so
// such arguments are refused rather than truncated (the "BatBadBut" disclosure, CERT/CC VU#123335,
// made Rust's std refuse them too: CVE-2024-24576).
// ---------------------------------------------------------------------------------------------

const CMD_META_CHARS = /([()\][%!^"`<>&|;, *?])/g;

/** Escapes the program path of a `cmd.exe /s /c` command line (cross-spawn `escapeCommand`). */
export function escapeCmdCommand(command: string): string {
  return command.replace(CMD_META_CHARS, '^$1');
}

/** Quotes and escapes one argument of a `cmd.exe /s /c` command line (cross-spawn `escapeArgument`). */
export function escapeCmdArgument(arg: string, doubleEscapeMetaChars = false): string {
  // The lookahead-and-backreference form avoids catastrophic backtracking on long runs of
  // backslashes (moxystudio/node-cross-spawn#160).
  let quoted = arg.replace(/(?=(\\+?)?)\1"/g, '$1$1\\"');
  quoted = quoted.replace(/(?=(\\+?)?)\1$/, '$1$1');
  quoted = `"${quoted}"`;
  quoted = quoted.replace(CMD_META_CHARS, '^$1');
  if (doubleEscapeMetaChars) quoted = quoted.replace(CMD_META_CHARS, '^$1');
  return quoted;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/**
 * The absolute directories of a PATH string, in order. Windows entries may be quoted
 * (`"C:\Program Files\nodejs"`); relative and empty entries are dropped.
 */
export function splitPath(PATH: string, platform: NodeJS.Platform = process.platform): string[] {
  const isWindows = platform === 'win32';
  const p = isWindows ? path.win32 : path.posix;
  return PATH.split(isWindows ? ';' : ':')
    .map((entry) => (isWindows && /^".*"$/.test(entry) ? entry.slice(1, -1) : entry))
    .filter((entry) => entry.length > 0 && p.isAbsolute(entry));
}

function splitPathExt(PATHEXT: string | undefined): string[] {
  const value = PATHEXT !== undefined && PATHEXT.trim() !== '' ? PATHEXT : DEFAULT_PATHEXT;
  return value
    .split(';')
    .map((ext) => ext.trim().toLowerCase())
    .filter((ext) => ext.startsWith('.'));
}

function isPathLike(command: string, isWindows: boolean): boolean {
  return isWindows ? /[\\/]/.test(command) || /^[A-Za-z]:/.test(command) : command.includes('/');
}

function describeSearched(dirs: readonly string[]): string {
  if (dirs.length === 0) return 'PATH is empty';
  const listed = dirs.slice(0, MAX_LISTED_DIRS).join(', ');
  const more = dirs.length - MAX_LISTED_DIRS;
  return `searched: ${listed}${more > 0 ? `, and ${more} more` : ''}`;
}

function defaultComspec(): string {
  // process.env is case-insensitive on Windows, so this finds ComSpec however it is spelled.
  const fromEnv = process.platform === 'win32' ? process.env['COMSPEC'] : undefined;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : 'cmd.exe';
}

function defaultIsExecutable(isWindows: boolean): (file: string) => boolean {
  return (file) => {
    try {
      if (!statSync(file).isFile()) return false;
      if (!isWindows) accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
}
