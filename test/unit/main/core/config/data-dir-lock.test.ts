import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, DataDirLockedError, LOCK_FILE, readRunningGateway, type DataDirLock, type GatewayRecord } from '../../../../../main/core/config/data-dir-lock.js';

let dir: string;
const held: DataDirLock[] = [];
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-lock-'));
});

afterEach(async () => {
  await Promise.all(held.splice(0).map((lock) => lock.release()));
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

async function acquire(): Promise<DataDirLock> {
  const lock = await acquireDataDirLock(dir, { app: 'test' });
  held.push(lock);
  return lock;
}

function record(overrides: Partial<GatewayRecord>): GatewayRecord {
  return { pid: 1, hostname: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z', app: 'gatehouse serve', argv: [], ...overrides };
}

async function writeLock(value: unknown): Promise<void> {
  await writeFile(path.join(dir, LOCK_FILE), typeof value === 'string' ? value : JSON.stringify(value));
}

/** A live process running `node -e <long wait>`; its pid and command line are real. */
async function liveNode(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  return child;
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('acquireDataDirLock', () => {
  it('records this process, refuses a second holder while held, and is gone once released', async () => {
    const lock = await acquire();
    const onDisk = JSON.parse(await readFile(path.join(dir, LOCK_FILE), 'utf8')) as GatewayRecord;
    expect(onDisk).toMatchObject({ pid: process.pid, app: 'test', argv: process.argv.slice(0, 2) });

    await lock.setUrl('http://127.0.0.1:7610');
    await expect(acquireDataDirLock(dir)).rejects.toThrow(DataDirLockedError);
    await expect(acquireDataDirLock(dir)).rejects.toThrow(`pid ${process.pid}, listening on http://127.0.0.1:7610`);
    expect(await readRunningGateway(dir)).toMatchObject({ pid: process.pid, url: 'http://127.0.0.1:7610' });

    await lock.release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    expect(await readRunningGateway(dir)).toBeUndefined();
    await acquire();
  });

  it('takes over the lock of a process that is gone', async () => {
    await writeLock(record({ pid: await deadPid(), url: 'http://127.0.0.1:1' }));
    expect(await readRunningGateway(dir)).toBeUndefined();
    const lock = await acquire();
    expect(lock.record.pid).toBe(process.pid);
  });

  it('refuses while the recorded process runs the recorded program', async () => {
    const holder = await liveNode();
    await writeLock(record({ pid: holder.pid!, argv: [process.execPath], url: 'http://127.0.0.1:7420' }));
    await expect(acquireDataDirLock(dir)).rejects.toThrow(`gatehouse serve, pid ${holder.pid}, listening on http://127.0.0.1:7420`);
  });

  it('takes over when the recorded pid now runs another program (a reused pid)', async () => {
    const other = await liveNode();
    await writeLock(record({ pid: other.pid!, argv: [process.execPath, '/opt/gatehouse/dist/main/cli.js'] }));
    await acquire();
  });

  it('takes over a lock with this process\'s pid that this process did not take (a container restart)', async () => {
    await writeLock(record({ pid: process.pid, argv: process.argv.slice(0, 2) }));
    await acquire();
  });

  it('waits for an unreadable lock that is being written, and clears one that is old', async () => {
    await writeLock('{"pid": 12');
    await expect(acquireDataDirLock(dir)).rejects.toThrow(/being written by another process/);
    const old = new Date(Date.now() - 60_000);
    await utimes(path.join(dir, LOCK_FILE), old, old);
    await acquire();
  });

  it('lets exactly one of several concurrent takers win over a stale lock', async () => {
    await writeLock(record({ pid: await deadPid() }));
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => acquireDataDirLock(dir)));
    const won = results.filter((r): r is PromiseFulfilledResult<DataDirLock> => r.status === 'fulfilled');
    held.push(...won.map((r) => r.value));
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof DataDirLockedError)).toBe(true);
  });
});
