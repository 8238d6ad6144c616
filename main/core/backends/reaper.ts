import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, type Logger } from '../base/logger.js';
import { isProcessAlive as isAlive, processCommandLine as commandOf } from '../base/processes.js';

/**
 * Where the gateway reports the process groups of its stdio backends, so none outlive it.
 * `ProcessTransport` calls {@link track} once a child is spawned and {@link release} once it and
 * its group are gone.
 */
export interface ProcessReaper {
  track(pid: number, command: string): void;
  release(pid: number): void;
  /** Kills what a previous gateway run recorded in the pidfile and left alive. Once, before the first spawn. */
  reapLeftovers(): Promise<void>;
  /** Ends the watchdog (it then kills whatever is still tracked) and settles the pidfile. */
  dispose(): Promise<void>;
}

/** Options of {@link createProcessReaper}. */
export interface ReaperOptions {
  logger: Logger;
  /** The pidfile (JSON) for the next gateway run; without it only the watchdog protects. */
  pidFile?: string;
  platform?: NodeJS.Platform;
  /** The Node binary for the Windows watchdog (Electron's needs ELECTRON_RUN_AS_NODE, which is set). */
  execPath?: string;
}

/**
 * The watchdog: one small detached process per gateway, its stdin a pipe from the gateway. The
 * gateway writes `+<pid>` when a backend starts and `-<pid>` when it is gone. When the pipe
 * closes (the gateway exited, however it died, SIGKILL included) the watchdog sends SIGTERM to
 * every group still listed, and SIGKILL a second later. It ignores SIGINT and SIGHUP, so a
 * Ctrl-C in the terminal cannot take it down before the gateway.
 *
 * POSIX `sh`, not node: about a megabyte instead of forty, and nothing to resolve on disk.
 */
const POSIX_WATCHDOG = `trap '' INT HUP
g=' '
while IFS= read -r l; do
  case "$l" in
    +[0-9]*) g="$g\${l#+} " ;;
    -[0-9]*) n=' '; for p in $g; do [ "$p" = "\${l#-}" ] || n="$n$p "; done; g="$n" ;;
  esac
done
for p in $g; do kill -s TERM -- "-$p" 2>/dev/null; done
[ "$g" = ' ' ] && exit 0
sleep 1
for p in $g; do kill -s KILL -- "-$p" 2>/dev/null; done
exit 0`;

/** Windows has no process groups: the watchdog kills each tracked process tree with taskkill. */
const WINDOWS_WATCHDOG = `const pids = new Set(); let rest = '';
process.on('SIGINT', () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  const lines = (rest + chunk).split('\\n'); rest = lines.pop();
  for (const l of lines) { const m = /^([+-])(\\d+)/.exec(l); if (m) m[1] === '+' ? pids.add(m[2]) : pids.delete(m[2]); }
});
process.stdin.on('end', () => {
  const { spawnSync } = require('node:child_process');
  for (const pid of pids) spawnSync('taskkill', ['/T', '/F', '/PID', pid], { windowsHide: true, stdio: 'ignore' });
});`;

interface Tracked {
  pid: number;
  command: string;
}

/**
 * The gateway's {@link ProcessReaper}: starts the watchdog on the first {@link track} and keeps
 * a pidfile of the live backend groups for the next run.
 */
export function createProcessReaper(opts: ReaperOptions): ProcessReaper {
  return new WatchdogReaper(opts);
}

class WatchdogReaper implements ProcessReaper {
  readonly #tracked = new Map<number, Tracked>();
  readonly #platform: NodeJS.Platform;
  #watchdog?: ChildProcess;
  #writes: Promise<void> = Promise.resolve();
  #reaped?: Promise<void>;
  #disposed = false;
  #warnedNoWatchdog = false;

  constructor(private readonly opts: ReaperOptions) {
    this.#platform = opts.platform ?? process.platform;
  }

  track(pid: number, command: string): void {
    if (this.#disposed) return;
    this.#tracked.set(pid, { pid, command });
    this.#tell(`+${pid}`);
    this.#savePidFile();
  }

  release(pid: number): void {
    if (!this.#tracked.delete(pid)) return;
    this.#tell(`-${pid}`);
    this.#savePidFile();
  }

  reapLeftovers(): Promise<void> {
    this.#reaped ??= this.#reapLeftovers().catch((error: unknown) => {
      this.opts.logger.warn('could not check for leftover backend processes', { error: errorMessage(error) });
    });
    return this.#reaped;
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const watchdog = this.#watchdog;
    this.#watchdog = undefined;
    // Whatever is still tracked here was not stopped; the watchdog kills it on end of input.
    watchdog?.stdin?.end();
    this.#savePidFile();
    await this.#writes;
  }

  #tell(line: string): void {
    const watchdog = this.#ensureWatchdog();
    watchdog?.stdin?.write(`${line}\n`);
  }

  #ensureWatchdog(): ChildProcess | undefined {
    if (this.#watchdog || this.#disposed) return this.#watchdog;
    const windows = this.#platform === 'win32';
    if (windows && process.versions.electron && !this.opts.execPath) {
      // The packaged app's fuses turn ELECTRON_RUN_AS_NODE off, so its binary cannot run the
      // Node watchdog: it would start a second app. The pidfile still cleans up at the next start.
      if (!this.#warnedNoWatchdog) this.opts.logger.warn('no process watchdog in the desktop app on Windows; leftovers are reaped at the next start');
      this.#warnedNoWatchdog = true;
      return undefined;
    }
    try {
      const child = windows
        ? spawn(this.opts.execPath ?? process.execPath, ['-e', WINDOWS_WATCHDOG], {
            stdio: ['pipe', 'ignore', 'ignore'],
            env: { ELECTRON_RUN_AS_NODE: '1', SystemRoot: process.env.SystemRoot ?? 'C:\\Windows' },
            windowsHide: true,
            detached: true,
          })
        : spawn('/bin/sh', ['-c', POSIX_WATCHDOG], { stdio: ['pipe', 'ignore', 'ignore'], detached: true, env: { PATH: '/usr/bin:/bin' } });
      child.once('error', (error) => this.opts.logger.warn('process watchdog failed', { error: error.message }));
      child.stdin?.on('error', () => {
        // The watchdog is gone; the pidfile is the remaining safety net.
      });
      // Neither the watchdog nor its pipe may keep the gateway alive.
      child.unref();
      (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
      this.#watchdog = child;
      return child;
    } catch (error) {
      this.opts.logger.warn('cannot start the process watchdog', { error: errorMessage(error) });
      return undefined;
    }
  }

  /** Writes are chained so the file always ends with the latest set; rename keeps it whole. */
  #savePidFile(): void {
    const file = this.opts.pidFile;
    if (!file) return;
    const body = JSON.stringify({ gatewayPid: process.pid, children: [...this.#tracked.values()] });
    this.#writes = this.#writes
      .then(async () => {
        const tmp = `${file}.tmp`;
        await writeFile(tmp, body, { mode: 0o600 });
        await rename(tmp, file);
      })
      .catch((error: unknown) => this.opts.logger.debug('cannot write the backend pidfile', { error: errorMessage(error) }));
  }

  async #reapLeftovers(): Promise<void> {
    const file = this.opts.pidFile;
    if (!file) return;
    let stored: { gatewayPid?: number; children?: Tracked[] };
    try {
      stored = JSON.parse(await readFile(file, 'utf8')) as typeof stored;
    } catch {
      return; // no file: the last run ended cleanly or never started a backend
    }
    if (stored.gatewayPid !== undefined && stored.gatewayPid !== process.pid && isAlive(stored.gatewayPid, false)) {
      // Another gateway on the same data dir is running: its children are not leftovers.
      return;
    }
    for (const child of stored.children ?? []) {
      if (!Number.isInteger(child.pid) || child.pid <= 1 || this.#tracked.has(child.pid)) continue;
      if (!(await this.#isOurs(child))) continue;
      this.opts.logger.warn('killing a backend left over from a previous run', { pid: child.pid, command: path.basename(child.command) });
      killTree(child.pid, this.#platform);
    }
  }

  /**
   * Pids are reused, so a recorded pid is killed only when it still looks like what we started:
   * the group leader runs the recorded command, or the leader is gone but its group lives on
   * (a pid is not handed out again while a group of that id exists).
   */
  async #isOurs(child: Tracked): Promise<boolean> {
    if (this.#platform === 'win32') return isAlive(child.pid, false) && (await commandOf(child.pid, this.#platform))?.includes(path.win32.basename(child.command)) === true;
    if (!isAlive(child.pid, true)) return false;
    if (!isAlive(child.pid, false)) return true;
    const command = await commandOf(child.pid, this.#platform);
    return command !== undefined && command.includes(path.basename(child.command));
  }
}

/** Kills a backend's process group (POSIX) or process tree (Windows) at once. */
export function killTree(pid: number, platform: NodeJS.Platform = process.platform): void {
  try {
    if (platform === 'win32') spawn('taskkill', ['/T', '/F', '/PID', String(pid)], { windowsHide: true, stdio: 'ignore' });
    else process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: already gone.
  }
}
