import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import {
  buildPrintPathCommand,
  createPathMarkers,
  extractMarkedValue,
  mergePathLists,
  nvmDefaultBin,
  readLoginShellPath,
  resolveLoginShellPath,
  wellKnownPathDirs,
} from '../../../../../main/core/backends/shell-path.js';
import type { PathProbe } from '../../../../../main/core/backends/shell-path.js';

const markers = createPathMarkers(() => 'abc123');

/** A fake file system: directories, and files with their text. */
function probe(dirs: string[], texts: Record<string, string> = {}): PathProbe {
  return {
    isDirectory: (dir) => dirs.includes(dir),
    readText: (file) => texts[file],
    listDir: (dir) => dirs.filter((d) => path.posix.dirname(d) === dir).map((d) => path.posix.basename(d)),
  };
}

describe('markers', () => {
  it('are unique per call and built from the random part', () => {
    expect(markers).toEqual({ start: '__GATEHOUSE_PATH_abc123_START__', end: '__GATEHOUSE_PATH_abc123_END__' });
    expect(createPathMarkers().start).not.toBe(createPathMarkers().start);
  });

  it('never appear whole in the command, so an echoed command cannot fake them', () => {
    const command = buildPrintPathCommand(markers);
    expect(command).not.toContain(markers.start);
    expect(command).not.toContain(markers.end);
    expect(extractMarkedValue(`+ ${command}\n`, markers)).toBeUndefined();
  });

  it('extract the value between them, ignoring rc-file noise around', () => {
    const output = `Welcome back!\nnvm: using v20\n${markers.start}/opt/homebrew/bin:/usr/bin${markers.end}\nlogout\n`;
    expect(extractMarkedValue(output, markers)).toBe('/opt/homebrew/bin:/usr/bin');
    expect(extractMarkedValue(`${markers.start}${markers.end}`, markers)).toBe('');
  });

  it('extract nothing from incomplete output', () => {
    expect(extractMarkedValue('noise only', markers)).toBeUndefined();
    expect(extractMarkedValue(`${markers.start}/usr/bin`, markers)).toBeUndefined();
    expect(extractMarkedValue(`/usr/bin${markers.end}`, markers)).toBeUndefined();
  });
});

describe('mergePathLists', () => {
  it('keeps login entries first, then new fallback entries, then new extras', () => {
    expect(
      mergePathLists(['/opt/homebrew/bin:/usr/bin:/bin', '/usr/bin:/bin:/usr/sbin:/sbin', '/usr/local/bin:/opt/homebrew/bin']),
    ).toBe('/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin:/usr/local/bin');
  });

  it('drops empty entries and duplicates that differ by a trailing slash', () => {
    expect(mergePathLists(['/a/::/b', '/a:/b/:/', '/:/c'])).toBe('/a/:/b:/:/c');
  });

  it('skips a missing login PATH and supports other delimiters', () => {
    expect(mergePathLists([undefined, '/usr/bin', ''])).toBe('/usr/bin');
    expect(mergePathLists(['C:\\a;C:\\b', 'C:\\b;C:\\c'], ';')).toBe('C:\\a;C:\\b;C:\\c');
  });
});

describe('wellKnownPathDirs', () => {
  const all = [
    '/opt/homebrew/bin',
    '/usr/local/bin',
    '/home/ann/.local/bin',
    '/home/ann/.cargo/bin',
    '/home/ann/.volta/bin',
    '/home/ann/.bun/bin',
  ];

  it('lists the directories that exist, Homebrew only on macOS', () => {
    expect(wellKnownPathDirs({ platform: 'darwin', home: '/home/ann', fs: probe(all) })).toEqual(all);
    expect(wellKnownPathDirs({ platform: 'linux', home: '/home/ann', fs: probe(all) })).toEqual(all.slice(1));
    expect(wellKnownPathDirs({ platform: 'linux', home: '/home/ann', fs: probe(['/home/ann/.volta/bin']) })).toEqual([
      '/home/ann/.volta/bin',
    ]);
    expect(wellKnownPathDirs({ platform: 'win32', home: 'C:\\Users\\ann', fs: probe(all) })).toEqual([]);
  });

  it("adds nvm's default Node, honouring NVM_DIR", () => {
    const fs = probe(['/nvm/versions/node/v22.1.0/bin', '/nvm/versions/node/v22.1.0', '/nvm/versions/node'], {
      '/nvm/alias/default': '22\n',
    });
    expect(wellKnownPathDirs({ platform: 'linux', home: '/home/ann', env: { NVM_DIR: '/nvm' }, fs })).toEqual([
      '/nvm/versions/node/v22.1.0/bin',
    ]);
  });
});

describe('nvmDefaultBin', () => {
  const versions = ['v18.20.4', 'v20.9.0', 'v20.11.1', 'v20.2.0', 'v22.1.0', 'not-a-version'].map(
    (v) => `/n/versions/node/${v}`,
  );

  it('picks the newest installed version matching the default alias', () => {
    expect(nvmDefaultBin('/n', probe(versions, { '/n/alias/default': '20' }))).toBe('/n/versions/node/v20.11.1/bin');
    expect(nvmDefaultBin('/n', probe(versions, { '/n/alias/default': 'v20.9' }))).toBe('/n/versions/node/v20.9.0/bin');
    expect(nvmDefaultBin('/n', probe(versions, { '/n/alias/default': 'v18.20.4' }))).toBe('/n/versions/node/v18.20.4/bin');
    expect(nvmDefaultBin('/n', probe(versions, { '/n/alias/default': 'node' }))).toBe('/n/versions/node/v22.1.0/bin');
  });

  it('follows lts aliases', () => {
    const texts = { '/n/alias/default': 'lts/*', '/n/alias/lts/*': 'lts/iron', '/n/alias/lts/iron': 'v20.11.1' };
    expect(nvmDefaultBin('/n', probe(versions, texts))).toBe('/n/versions/node/v20.11.1/bin');
  });

  it('gives nothing without nvm, a default, or a matching version', () => {
    expect(nvmDefaultBin('/n', probe([]))).toBeUndefined();
    expect(nvmDefaultBin('/n', probe(versions, { '/n/alias/default': '16' }))).toBeUndefined();
    expect(nvmDefaultBin('/n', probe(versions, { '/n/alias/default': 'lts/gone' }))).toBeUndefined();
  });
});

describe.skipIf(process.platform === 'win32')('asking a real shell', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-shell-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function fakeShell(name: string, body: string): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, `#!/bin/sh\n${body}\n`);
    await chmod(file, 0o755);
    return file;
  }

  it('reads PATH from /bin/sh -ilc', async () => {
    const result = await readLoginShellPath('/bin/sh', { env: { PATH: '/usr/bin:/bin', HOME: dir } });
    expect(result.ok).toBe(true);
    expect(result.ok && result.path.split(':')).toContain('/usr/bin');
  });

  it('ignores what rc files print and takes the PATH they set', async () => {
    const shell = await fakeShell(
      'noisy-sh',
      'echo "Last login: today"; printf "__GATEHOUSE_PATH_"; PATH=/custom/bin:$PATH; export PATH; exec /bin/sh -c "$2"',
    );
    const result = await readLoginShellPath(shell, { env: { PATH: '/usr/bin:/bin' } });
    expect(result).toEqual({ ok: true, path: '/custom/bin:/usr/bin:/bin' });
  });

  it('merges the login PATH with the fallback', async () => {
    const shell = await fakeShell('login-sh', 'PATH=/login/bin:/usr/bin; export PATH; exec /bin/sh -c "$2"');
    const merged = await resolveLoginShellPath({
      shell,
      platform: 'linux',
      fallback: '/usr/bin:/fallback/bin',
      home: dir,
      fs: probe(['/usr/local/bin']),
    });
    expect(merged).toBe('/login/bin:/usr/bin:/fallback/bin:/usr/local/bin');
  });

  it('falls back when the shell hangs, and says why', async () => {
    const shell = await fakeShell('slow-sh', 'exec sleep 30');
    const reasons: string[] = [];
    const merged = await resolveLoginShellPath({
      shell,
      platform: 'linux',
      timeoutMs: 200,
      fallback: '/usr/bin:/bin',
      home: dir,
      fs: probe([]),
      onFallback: (reason) => reasons.push(reason),
    });
    expect(merged).toBe('/usr/bin:/bin');
    expect(reasons).toEqual([`${shell} did not print PATH within 200 ms`]);
  });

  it('falls back when the shell is missing or prints nothing', async () => {
    const missing = await readLoginShellPath(path.join(dir, 'no-such-shell'));
    expect(missing.ok).toBe(false);
    expect(missing.ok ? '' : missing.reason).toMatch(/^could not run .*no-such-shell: .*ENOENT/);

    const quiet = await readLoginShellPath(await fakeShell('quiet-sh', 'exit 3'));
    expect(quiet).toEqual({ ok: false, reason: `${path.join(dir, 'quiet-sh')} exited with code 3 without printing PATH` });
  });
});

describe('resolveLoginShellPath on Windows', () => {
  it('returns the fallback without asking a shell', async () => {
    const reasons: string[] = [];
    const result = await resolveLoginShellPath({
      platform: 'win32',
      shell: '/definitely/not/run',
      fallback: 'C:\\Windows;C:\\Program Files\\nodejs',
      onFallback: (reason) => reasons.push(reason),
    });
    expect(result).toBe('C:\\Windows;C:\\Program Files\\nodejs');
    expect(reasons).toEqual([]);
  });
});
