import { chmod, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { securePrivateDataDir } from '../../../../../main/core/config/data-dir-mode.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'gatehouse-mode-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function modeOf(file: string): Promise<string> {
  return ((await stat(file)).mode & 0o777).toString(8);
}

async function wideDir(name: string, files: Record<string, string> = {}): Promise<string> {
  const dir = path.join(root, name);
  await mkdir(dir);
  await chmod(dir, 0o755);
  for (const [file, text] of Object.entries(files)) {
    await writeFile(path.join(dir, file), text);
    await chmod(path.join(dir, file), 0o644);
  }
  return dir;
}

describe.skipIf(process.platform === 'win32')('securePrivateDataDir', () => {
  it('creates a missing data dir with mode 0700 and reports nothing', async () => {
    const dir = path.join(root, 'new', 'Gatehouse');
    expect(await securePrivateDataDir(dir)).toEqual([]);
    expect(await modeOf(dir)).toBe('700');
  });

  it('tightens a Gatehouse data dir and its files and folders, and leaves symlinks alone', async () => {
    const dir = await wideDir('mine', { 'tokens.json': '{}' });
    await mkdir(path.join(dir, 'audit'), { mode: 0o755 });
    await chmod(path.join(dir, 'audit'), 0o755);
    const outside = path.join(root, 'outside.txt');
    await writeFile(outside, 'x');
    await chmod(outside, 0o644);
    await symlink(outside, path.join(dir, 'link'));
    const changes = await securePrivateDataDir(dir);
    expect(changes).toContain(`the data dir ${dir} was open to other users (mode 0755); it is now 0700`);
    expect(await modeOf(dir)).toBe('700');
    expect(await modeOf(path.join(dir, 'tokens.json'))).toBe('600');
    expect(await modeOf(path.join(dir, 'audit'))).toBe('700');
    expect(await modeOf(outside)).toBe('644');
  });

  it('tightens the default folder (named Gatehouse) whatever Chromium put in it first', async () => {
    const dir = await wideDir('Gatehouse', { Preferences: '{}' });
    await securePrivateDataDir(dir);
    expect(await modeOf(dir)).toBe('700');
  });

  it('refuses a folder open to others that holds other things, and changes nothing', async () => {
    const dir = await wideDir('shared', { 'notes.txt': 'x' });
    await expect(securePrivateDataDir(dir)).rejects.toThrow(`the data dir ${dir} is open to other users (mode 0755) and holds files that are not Gatehouse's`);
    expect(await modeOf(dir)).toBe('755');
    expect(await modeOf(path.join(dir, 'notes.txt'))).toBe('644');
  });

  it('changes no modes for Windows, where ACLs keep AppData private', async () => {
    const dir = await wideDir('win', { 'notes.txt': 'x' });
    expect(await securePrivateDataDir(dir, 'win32')).toEqual([]);
    expect(await modeOf(dir)).toBe('755');
  });
});
