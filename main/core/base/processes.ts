/**
 * Questions about other processes by pid, for the backend reaper and the data dir lock: is it
 * alive, and what command line does it run (pids get reused, so a pid alone proves little).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/**
 * Whether a process (or, with `group`, a POSIX process group) of this id exists. Signal 0 checks
 * without sending anything; EPERM means it exists but belongs to another user.
 */
export function isProcessAlive(pid: number, group = false): boolean {
  try {
    process.kill(group ? -pid : pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The command line a live process runs (arguments joined by spaces), or `undefined` when it
 * cannot be read: `/proc` on Linux, `ps` on other Unixes, `wmic` on Windows (absent from the
 * newest releases, where this answers `undefined`).
 */
export async function processCommandLine(pid: number, platform: NodeJS.Platform = process.platform): Promise<string | undefined> {
  if (platform === 'linux') {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
    return raw?.replaceAll('\0', ' ');
  }
  const [file, args] =
    platform === 'win32'
      ? ['wmic', ['process', 'where', `ProcessId=${pid}`, 'get', 'CommandLine', '/value']]
      : ['ps', ['-o', 'command=', '-p', String(pid)]];
  return new Promise((resolve) => {
    execFile(file as string, args as string[], { windowsHide: true, timeout: 5_000 }, (error, stdout) => resolve(error ? undefined : stdout));
  });
}
