/**
 * The built `gatehouse` binary (`node dist/main/cli.js`) in a child process, as a user runs it:
 * {@link runCli} for a command that ends, {@link startCli} for one that keeps running (`serve`).
 * `npm test` builds dist/ first; {@link ensureCliBuilt} builds it when a file runs alone.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** GATEHOUSE_TEST_CLI runs another build (e.g. one in out/, leaving dist/ alone). */
export const CLI = process.env.GATEHOUSE_TEST_CLI ? path.resolve(root, process.env.GATEHOUSE_TEST_CLI) : path.join(root, 'dist/main/cli.js');

/** Builds dist/ when the binary is missing (a test file run on its own). */
export function ensureCliBuilt(): void {
  if (existsSync(CLI)) return;
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8', timeout: 120_000, shell: process.platform === 'win32' });
  if (build.status !== 0 || !existsSync(CLI)) throw new Error(`could not build ${CLI}:\n${build.stdout}\n${build.stderr}`);
}

/** This process's environment without Gatehouse tokens or data dir, the keyring off, plus `extra`. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.GATEHOUSE_TOKEN;
  delete env.GATEHOUSE_ADMIN_TOKEN;
  delete env.GATEHOUSE_DATA_DIR;
  return { ...env, GATEHOUSE_KEYRING: 'none', ...extra };
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to stdin, which is then closed (default: stdin is closed at once). */
  input?: string;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running `gatehouse`. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<CliResult>;
  /** Resolves with the match once stdout matches; rejects with the output on exit or timeout. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/**
 * Starts `gatehouse args...`. It runs detached (a session of its own, so no controlling
 * terminal even when the tests run in one: a command that would ask a question cannot block).
 */
export function startCli(args: readonly string[], opts: CliOptions = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, env: opts.env ?? cliEnv(), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const wake = (): void => waiters.forEach((w) => w());
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => ((out += chunk), wake()));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  child.stdin!.end(opts.input ?? '');
  const exited = new Promise<CliResult>((resolve) => child.once('close', (code) => resolve({ code, stdout: out, stderr: err })));
  void exited.then(wake);
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStdout(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`no match for ${pattern} within ${timeoutMs} ms`)), timeoutMs);
        const check = (): void => {
          const match = pattern.exec(out);
          if (match) done(undefined, match);
          else if (child.exitCode !== null || child.signalCode !== null) done(new Error(`gatehouse exited before printing ${pattern}`));
        };
        const done = (error?: Error, match?: RegExpMatchArray): void => {
          clearTimeout(timer);
          waiters.delete(check);
          if (match) resolve(match);
          else reject(new Error(`${error?.message}\nstdout:\n${out}\nstderr:\n${err}`));
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Runs `gatehouse args...` to its end (killed after `timeoutMs`). */
export async function runCli(args: readonly string[], opts: CliOptions = {}, timeoutMs = 20_000): Promise<CliResult> {
  const run = startCli(args, opts);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
  const result = await run.exited;
  clearTimeout(timer);
  return result;
}

/** Stops a started `gatehouse` (SIGTERM, then SIGKILL after 5 s) and waits for it. */
export async function stopCli(run: CliProcess): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  run.child.kill('SIGTERM');
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 5_000);
  await run.exited;
  clearTimeout(timer);
}
