/**
 * The benchmark's child processes (backend, floor proxy, gateway host) are forked with an IPC
 * channel: each sends one `ready` message, answers `cpu` with its own CPU time, and exits on
 * `stop`. Measuring CPU inside each process keeps the client's CPU out of the hop's figures.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** Messages from the parent. */
type ToChild = { type: 'cpu' } | { type: 'stop' };
/** Messages from the child. */
type FromChild = { type: 'ready'; info: Record<string, unknown> } | { type: 'cpu'; micros: number } | { type: 'error'; message: string };

/** In a child: announces readiness and serves `cpu` and `stop` until stopped. */
export function serveParent(info: Record<string, unknown>, stop: () => Promise<void>): void {
  const send = (message: FromChild): void => void process.send?.(message);
  process.on('message', (message: ToChild) => {
    if (message.type === 'cpu') {
      const usage = process.cpuUsage();
      send({ type: 'cpu', micros: usage.user + usage.system });
    } else if (message.type === 'stop') {
      // process.exit, not a signal: --cpu-prof writes its profile on a normal exit only.
      stop().finally(() => process.exit(0));
    }
  });
  // The parent died: do not linger.
  process.on('disconnect', () => void stop().finally(() => process.exit(0)));
  send({ type: 'ready', info });
}

/** In a child: reports a start failure to the parent and exits. */
export function failToParent(error: unknown): never {
  process.send?.({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies FromChild);
  process.exit(1);
}

/** A child as the parent sees it. */
export interface Child {
  readonly pid: number;
  readonly info: Record<string, unknown>;
  /** User + system CPU time of the child so far, in microseconds. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

/** Forks `script` with `args` and resolves once it is ready. */
export async function startChild(script: string, args: string[], opts: { execArgv?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<Child> {
  const child: ChildProcess = fork(script, args, {
    execArgv: opts.execArgv ?? [],
    env: opts.env ?? process.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} was not ready within ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    child.on('message', function onMessage(message: FromChild) {
      if (message.type !== 'ready' && message.type !== 'error') return;
      clearTimeout(timer);
      child.off('message', onMessage);
      if (message.type === 'ready') resolve(message.info);
      else reject(new Error(`${script} failed to start: ${message.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited before it was ready (code ${code})`));
    });
  });
  const exited = once(child, 'exit');
  return {
    pid: child.pid!,
    info,
    cpuMicros: () =>
      new Promise<number>((resolve) => {
        child.on('message', function onMessage(message: FromChild) {
          if (message.type !== 'cpu') return;
          child.off('message', onMessage);
          resolve(message.micros);
        });
        child.send({ type: 'cpu' } satisfies ToChild);
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'stop' } satisfies ToChild);
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
