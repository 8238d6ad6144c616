import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createProcessReaper } from '../../../../../main/core/backends/reaper.js';
import { nullLogger } from '../../../../../main/core/base/logger.js';
import { isAlive } from '../../../../support/processes.js';

const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A process in its own group, like a stdio backend. */
function sleeper(): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
  child.unref();
  children.push(child);
  return child.pid!;
}


async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-reaper-'));
  dirs.push(dir);
  return dir;
}

describe.skipIf(process.platform === 'win32')('process reaper', () => {
  it('the watchdog kills what is still tracked once its pipe closes', async () => {
    const reaper = createProcessReaper({ logger: nullLogger });
    const kept = sleeper();
    const released = sleeper();
    reaper.track(kept, process.execPath);
    reaper.track(released, process.execPath);
    reaper.release(released);
    await reaper.dispose();
    await expect.poll(() => isAlive(kept), { timeout: 5_000 }).toBe(false);
    expect(isAlive(released)).toBe(true);
  });

  it('keeps a pidfile of the live groups', async () => {
    const file = path.join(await tempDir(), 'backends.pid.json');
    const reaper = createProcessReaper({ logger: nullLogger, pidFile: file });
    const pid = sleeper();
    reaper.track(pid, process.execPath);
    await expect.poll(async () => JSON.parse(await readFile(file, 'utf8').catch(() => '{}'))).toMatchObject({
      gatewayPid: process.pid,
      children: [{ pid, command: process.execPath }],
    });
    reaper.release(pid);
    await reaper.dispose();
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ children: [] });
  });

  it('kills leftovers of a crashed run named in the pidfile, but only processes that still match', async () => {
    const file = path.join(await tempDir(), 'backends.pid.json');
    const leftover = sleeper();
    const stranger = sleeper(); // recorded with another command: a reused pid, not ours
    const deadGateway = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    await writeFile(
      file,
      JSON.stringify({
        gatewayPid: Number(deadGateway),
        children: [
          { pid: leftover, command: process.execPath },
          { pid: stranger, command: '/usr/bin/some-other-program' },
        ],
      }),
    );
    const reaper = createProcessReaper({ logger: nullLogger, pidFile: file });
    await reaper.reapLeftovers();
    await expect.poll(() => isAlive(leftover)).toBe(false);
    expect(isAlive(stranger)).toBe(true);
    await reaper.dispose();
  });

  it('leaves the children of a gateway that is still running alone', async () => {
    const file = path.join(await tempDir(), 'backends.pid.json');
    const child = sleeper();
    const otherGateway = sleeper();
    await writeFile(file, JSON.stringify({ gatewayPid: otherGateway, children: [{ pid: child, command: process.execPath }] }));
    const reaper = createProcessReaper({ logger: nullLogger, pidFile: file });
    await reaper.reapLeftovers();
    expect(isAlive(child)).toBe(true);
    await reaper.dispose();
  });
});
