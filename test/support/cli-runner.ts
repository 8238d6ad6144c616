/**
 * Runs the built `gatehouse` command as a user does (`node dist/main/cli.js ...` in a child
 * process) for the CLI tests, and stops whatever a test left running.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** GATEHOUSE_TEST_CLI runs another build (e.g. one in out/, leaving dist/ alone). */
export const CLI = process.env.GATEHOUSE_TEST_CLI ? path.resolve(root, process.env.GATEHOUSE_TEST_CLI) : path.join(root, 'dist/main/cli.js');

/** How long a gateway may take to print its URL (it asks the login shell for PATH first). */
export const START_TIMEOUT_MS = 20_000;
export const EXIT_TIMEOUT_MS = 10_000;

export interface CliRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The environment without any Gatehouse token or data dir the outer shell might have set. */
export function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.GATEHOUSE_TOKEN;
  delete env.GATEHOUSE_ADMIN_TOKEN;
  delete env.GATEHOUSE_DATA_DIR;
  delete env.INIT_CWD;
  delete env.npm_lifecycle_event;
  // No test touches the user's OS keyring: the secrets key goes to a file in the data dir.
  return { ...env, GATEHOUSE_KEYRING: 'none', ...extra };
}

/** Builds dist/main/cli.js when it is missing (running a CLI test file alone). */
export function ensureCliBuilt(): void {
  if (existsSync(CLI)) return;
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8', timeout: 120_000, shell: process.platform === 'win32' });
  if (build.status !== 0 || !existsSync(CLI)) throw new Error(`could not build ${CLI}:\n${build.stdout}\n${build.stderr}`);
}

/** Starts CLI processes and stops those still running in {@link stopAll}. */
export class CliRunner {
  readonly #running = new Set<CliRun>();

  /** `cwd`: the folder every run starts in unless it names another. */
  constructor(private readonly cwd: () => string) {}

  /** Starts `gatehouse ...args`; `stdin`, when given, is written to it and closed. */
  run(args: string[], env: NodeJS.ProcessEnv = baseEnv(), opts: { cwd?: string; stdin?: string } = {}): CliRun {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? this.cwd(), env, stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const run: CliRun = { child, stdout: () => out, stderr: () => err, exited };
    this.#running.add(run);
    void exited.then(() => this.#running.delete(run));
    return run;
  }

  /** Starts `serve --port 0 ...` and returns the base URL it printed. */
  async serve(args: string[], env?: NodeJS.ProcessEnv, opts: { cwd?: string } = {}): Promise<{ run: CliRun; url: string }> {
    const run = this.run(['serve', '--port', '0', ...args], env, opts);
    const [, url] = await waitForStdout(run, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    return { run, url: url! };
  }

  /** Stops what a test left running: SIGTERM first so a gateway stops its children. */
  async stopAll(): Promise<void> {
    await Promise.allSettled(
      [...this.#running].map(async (run) => {
        run.child.kill('SIGTERM');
        const stopped = await Promise.race([run.exited.then(() => true), sleep(5_000).then(() => false)]);
        if (!stopped) run.child.kill('SIGKILL');
      }),
    );
  }
}

/** Waits until stdout matches `pattern`; fails with everything printed so far on timeout or exit. */
export async function waitForStdout(run: CliRun, pattern: RegExp, timeoutMs = START_TIMEOUT_MS): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void run.exited.then(() => (exited = true));
  for (;;) {
    const match = pattern.exec(run.stdout());
    if (match) return match;
    if (exited || Date.now() > deadline) {
      throw new Error(
        `${exited ? 'gatehouse exited' : `no match within ${timeoutMs} ms`} waiting for ${pattern}\n` + `stdout:\n${run.stdout()}\nstderr:\n${run.stderr()}`,
      );
    }
    await sleep(50);
  }
}

/** The exit of `run`; fails with its output when it does not exit within `timeoutMs`. */
export async function waitForExit(run: CliRun, timeoutMs = EXIT_TIMEOUT_MS): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gatehouse did not exit within ${timeoutMs} ms\nstdout:\n${run.stdout()}\nstderr:\n${run.stderr()}`)), timeoutMs);
  });
  try {
    return await Promise.race([run.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
