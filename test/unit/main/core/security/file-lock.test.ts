import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withFileLock } from '../../../../../main/core/security/private-file.js';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-lock-'));
  file = path.join(dir, 'tokens.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('withFileLock', () => {
  it('runs holders one after the other, and leaves no lock file behind', async () => {
    const order: string[] = [];
    const holder = (name: string) => async (): Promise<void> => {
      order.push(`${name} in`);
      await new Promise((resolve) => setTimeout(resolve, 30));
      order.push(`${name} out`);
    };
    await Promise.all([withFileLock(file, holder('a')), withFileLock(file, holder('b'))]);
    expect(order).toEqual(['a in', 'a out', 'b in', 'b out']);
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over at once a lock whose process is gone, and an empty one left long ago', async () => {
    await writeFile(`${file}.lock`, String(deadPid()));
    expect(await withFileLock(file, async () => 'got it')).toBe('got it');
    await writeFile(`${file}.lock`, '');
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(`${file}.lock`, longAgo, longAgo);
    expect(await withFileLock(file, async () => 'again')).toBe('again');
  });

  it('releases the lock when the holder fails', async () => {
    await expect(withFileLock(file, async () => Promise.reject(new Error('write failed')))).rejects.toThrow('write failed');
    expect(await withFileLock(file, async () => 'next')).toBe('next');
  });
});
