import { spawn, type ChildProcess } from 'node:child_process';
import { deserializeMessage, serializeMessage } from '@modelcontextprotocol/client';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import { RingBuffer } from '../base/ring-buffer.js';

/** What to run: the output of `buildSpawnPlan` plus the environment and working directory. */
export interface SpawnSpec {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  windowsVerbatimArguments?: boolean;
}

/** Told about a child's process group, so something outside the gateway can kill it if the gateway dies. */
export interface ProcessWatcher {
  track(pid: number, command: string): void;
  release(pid: number): void;
}

/** How a process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const MAX_LINE_BYTES = 16 * 1024 * 1024;

/**
 * A stdio client transport that owns its child process.
 *
 * Unlike the SDK's `StdioClientTransport` it starts the child in its own process group
 * (so stopping it stops the whole tree, e.g. `npx` and the server it launches), keeps the
 * last lines of stderr in a ring buffer, records stdout lines that are not JSON-RPC instead
 * of dropping them silently, and escalates stdin close → SIGTERM → SIGKILL on close.
 */
export class ProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** Called once when the process exits (before `onclose`, which waits for its pipes). */
  onExit?: (info: ExitInfo) => void;
  /** Set before {@link start}: told the pid once spawned, and again once the group is gone. */
  watcher?: ProcessWatcher;

  /** Last lines of stderr, plus stdout lines that were not JSON-RPC (prefixed `[stdout] `). */
  readonly stderr: RingBuffer<string>;
  #child?: ChildProcess;
  #exit?: ExitInfo;
  #exited?: Promise<void>;
  #stdoutRest: Buffer = Buffer.alloc(0);
  #stderrRest = '';
  #closing = false;
  #released = false;

  constructor(
    private readonly spec: SpawnSpec,
    private readonly opts: { stderrLines?: number; killGraceMs?: number } = {},
  ) {
    this.stderr = new RingBuffer(opts.stderrLines ?? 500);
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get exitInfo(): ExitInfo | undefined {
    return this.#exit;
  }

  start(): Promise<void> {
    if (this.#child) throw new Error('ProcessTransport already started');
    return new Promise((resolve, reject) => {
      const child = spawn(this.spec.file, this.spec.args, {
        env: this.spec.env,
        cwd: this.spec.cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
        // Own process group on POSIX so the whole tree can be signalled at once.
        detached: process.platform !== 'win32',
        windowsHide: true,
        windowsVerbatimArguments: this.spec.windowsVerbatimArguments,
      });
      this.#child = child;
      this.#exited = new Promise((done) => child.once('close', () => done()));
      child.once('error', (error) => {
        this.#exit ??= { code: null, signal: null };
        reject(error);
        this.onerror?.(error);
      });
      child.once('spawn', () => {
        if (child.pid !== undefined) this.watcher?.track(child.pid, this.spec.file);
        resolve();
      });
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        // The leader died on its own: what it leaked in its group goes with it (a leaked child
        // holding stdout open would also keep 'close' from ever firing).
        if (!this.#closing) this.#signal('SIGKILL');
        this.onExit?.(this.#exit);
      });
      child.once('close', () => {
        this.#release();
        this.onclose?.();
      });
      child.stdin?.on('error', (error) => this.onerror?.(error));
      child.stdout?.on('data', (chunk: Buffer) => this.#onStdout(chunk));
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => this.#onStderr(chunk));
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.#child?.stdin;
    if (!stdin || !stdin.writable || this.#exit) return Promise.reject(new Error('backend process is not running'));
    return new Promise((resolve) => {
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', () => resolve());
    });
  }

  /** Closes stdin, then SIGTERM to the process group, then SIGKILL after the grace period. */
  async close(): Promise<void> {
    const child = this.#child;
    if (!child || this.#closing) return this.#exited;
    this.#closing = true;
    if (!this.#exit) {
      const grace = this.opts.killGraceMs ?? 2000;
      child.stdin?.end();
      if (!(await this.#waitExit(Math.min(grace, 500)))) {
        this.#signal('SIGTERM');
        if (!(await this.#waitExit(grace))) {
          this.#signal('SIGKILL');
          await this.#waitExit(grace);
        }
      }
    }
    // Children that outlived the leader still get the group signal.
    this.#signal('SIGKILL');
    await this.#exited;
  }

  /** The group is gone (leader exited, pipes closed, group killed): nothing left to watch. */
  #release(): void {
    const pid = this.#child?.pid;
    if (pid === undefined || this.#released) return;
    this.#released = true;
    this.watcher?.release(pid);
  }

  #signal(signal: NodeJS.Signals): void {
    const pid = this.#child?.pid;
    if (pid === undefined) return;
    try {
      if (process.platform === 'win32') {
        // No process groups on Windows: taskkill /T takes the whole tree.
        spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { windowsHide: true, stdio: 'ignore' });
      } else {
        process.kill(-pid, signal);
      }
    } catch {
      // ESRCH: the group is already gone.
    }
  }

  async #waitExit(ms: number): Promise<boolean> {
    if (this.#exit) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const exited = (this.#exited ?? Promise.resolve()).then(() => true as const);
    const result = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    return result;
  }

  #onStdout(chunk: Buffer): void {
    let buffer: Buffer = this.#stdoutRest.length > 0 ? Buffer.concat([this.#stdoutRest, chunk]) : chunk;
    let newline: number;
    while ((newline = buffer.indexOf(0x0a)) !== -1) {
      const line = buffer.toString('utf8', 0, newline).replace(/\r$/, '');
      buffer = buffer.subarray(newline + 1);
      this.#onLine(line);
    }
    if (buffer.length > MAX_LINE_BYTES) {
      this.stderr.push(`[stdout] line longer than ${MAX_LINE_BYTES} bytes dropped`);
      this.onerror?.(new Error(`backend wrote a stdout line longer than ${MAX_LINE_BYTES} bytes`));
      buffer = Buffer.alloc(0);
    }
    this.#stdoutRest = buffer;
  }

  #onLine(line: string): void {
    if (line.trim() === '') return;
    let message: JSONRPCMessage;
    try {
      message = deserializeMessage(line);
    } catch {
      // Servers that print banners or logs on stdout break the protocol; keep the line for the user.
      this.stderr.push(`[stdout] ${line.slice(0, 2000)}`);
      return;
    }
    // One message per macrotask: the SDK runs notification handlers in a microtask but settles
    // responses at once, so a progress notification read in the same chunk as the final
    // response would otherwise be dropped.
    setImmediate(() => this.onmessage?.(message));
  }

  #onStderr(chunk: string): void {
    const text = this.#stderrRest + chunk;
    const lines = text.split('\n');
    this.#stderrRest = lines.pop() ?? '';
    if (this.#stderrRest.length > 8192) {
      lines.push(this.#stderrRest);
      this.#stderrRest = '';
    }
    for (const line of lines) this.stderr.push(line.replace(/\r$/, '').slice(0, 2000));
  }
}
