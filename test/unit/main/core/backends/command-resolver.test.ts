import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import {
  CommandNotFoundError,
  buildSpawnPlan,
  escapeCmdArgument,
  escapeCmdCommand,
  resolveCommand,
  splitPath,
} from '../../../../../main/core/backends/command-resolver.js';

/** An `isExecutable` over a fixed set of files; Windows lookups compare case-insensitively. */
function files(...paths: string[]): (file: string) => boolean {
  const set = new Set(paths.map((p) => p.toLowerCase()));
  return (file) => set.has(file.toLowerCase());
}

describe('resolveCommand on POSIX', () => {
  const opts = {
    platform: 'linux' as const,
    PATH: '/home/ann/.local/bin::relative/bin:/usr/local/bin:/usr/bin',
    isExecutable: files('/usr/local/bin/npx', '/usr/bin/npx', '/usr/bin/uvx', 'relative/bin/evil'),
  };

  it('takes the first PATH directory that has the command', () => {
    expect(resolveCommand('npx', opts)).toBe('/usr/local/bin/npx');
    expect(resolveCommand('uvx', opts)).toBe('/usr/bin/uvx');
  });

  it('never searches relative or empty PATH entries', () => {
    expect(resolveCommand('evil', opts)).toBeUndefined();
  });

  it('returns paths as written', () => {
    expect(resolveCommand('/opt/x/server', opts)).toBe('/opt/x/server');
    expect(resolveCommand('./bin/server', opts)).toBe('./bin/server');
  });

  it('finds real executables and skips files without the execute bit', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-cmd-'));
    const other = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-cmd-'));
    await writeFile(path.join(dir, 'tool'), '#!/bin/sh\n');
    await chmod(path.join(dir, 'tool'), 0o644);
    await writeFile(path.join(other, 'tool'), '#!/bin/sh\n');
    await chmod(path.join(other, 'tool'), 0o755);
    const PATH = `${dir}:${other}`;
    if (process.platform !== 'win32') {
      expect(resolveCommand('tool', { PATH })).toBe(path.join(other, 'tool'));
      expect(buildSpawnPlan('tool', ['a&b', 'c d'], { PATH })).toEqual({ file: path.join(other, 'tool'), args: ['a&b', 'c d'] });
    }
    await rm(dir, { recursive: true, force: true });
    await rm(other, { recursive: true, force: true });
  });
});

describe('resolveCommand on Windows', () => {
  const nodejs = 'C:\\Program Files\\nodejs';
  const opts = {
    platform: 'win32' as const,
    PATH: `C:\\Windows\\system32;"${nodejs}";;C:\\Users\\ann\\AppData\\Roaming\\npm`,
    isExecutable: files(
      `${nodejs}\\npx`,
      `${nodejs}\\npx.cmd`,
      `${nodejs}\\node.exe`,
      'C:\\Users\\ann\\AppData\\Roaming\\npm\\tsx.cmd',
      'C:\\tools\\serve.bat',
      'D:\\work\\bin\\run.cmd',
    ),
  };

  it('tries PATHEXT extensions and never the bare POSIX script beside npx.cmd', () => {
    expect(resolveCommand('npx', opts)).toBe(`${nodejs}\\npx.cmd`);
    expect(resolveCommand('node', opts)).toBe(`${nodejs}\\node.exe`);
    expect(resolveCommand('tsx', opts)).toBe('C:\\Users\\ann\\AppData\\Roaming\\npm\\tsx.cmd');
  });

  it('takes a name with an extension as written first', () => {
    expect(resolveCommand('node.exe', opts)).toBe(`${nodejs}\\node.exe`);
    expect(resolveCommand('npx.cmd', opts)).toBe(`${nodejs}\\npx.cmd`);
  });

  it('honours a custom PATHEXT', () => {
    expect(resolveCommand('npx', { ...opts, PATHEXT: '.EXE' })).toBeUndefined();
    expect(resolveCommand('node', { ...opts, PATHEXT: '.EXE;.CMD' })).toBe(`${nodejs}\\node.exe`);
  });

  it('completes paths with PATHEXT, relative to cwd, and otherwise keeps them', () => {
    expect(resolveCommand('C:\\tools\\serve', opts)).toBe('C:\\tools\\serve.bat');
    expect(resolveCommand('C:/tools/serve', opts)).toBe('C:/tools/serve.bat');
    expect(resolveCommand('bin\\run', { ...opts, cwd: 'D:\\work' })).toBe('bin\\run.cmd');
    expect(resolveCommand('C:\\missing\\thing.exe', opts)).toBe('C:\\missing\\thing.exe');
  });
});

describe('splitPath', () => {
  it('splits by platform, unquotes Windows entries and drops relative ones', () => {
    expect(splitPath('/a:/b::c:/d', 'darwin')).toEqual(['/a', '/b', '/d']);
    expect(splitPath('C:\\a;"C:\\b c";;d;\\\\server\\share', 'win32')).toEqual(['C:\\a', 'C:\\b c', '\\\\server\\share']);
  });
});

describe('cmd.exe escaping (cross-spawn rules)', () => {
  it('quotes and caret-escapes arguments', () => {
    expect(escapeCmdArgument('foo')).toBe('^"foo^"');
    expect(escapeCmdArgument('')).toBe('^"^"');
    expect(escapeCmdArgument('a b')).toBe('^"a^ b^"');
    expect(escapeCmdArgument('a&b|c<d>e')).toBe('^"a^&b^|c^<d^>e^"');
    expect(escapeCmdArgument('(x)^y')).toBe('^"^(x^)^^y^"');
    expect(escapeCmdArgument('%PATH% !x!')).toBe('^"^%PATH^%^ ^!x^!^"');
    expect(escapeCmdArgument('say "hi"')).toBe('^"say^ \\^"hi\\^"^"');
    expect(escapeCmdArgument('C:\\dir\\')).toBe('^"C:\\dir\\\\^"');
    expect(escapeCmdArgument('a\\"b')).toBe('^"a\\\\\\^"b^"');
    expect(escapeCmdArgument('C:\\a\\b')).toBe('^"C:\\a\\b^"');
  });

  it('double-escapes metacharacters for npm cmd-shims', () => {
    expect(escapeCmdArgument('a&b', true)).toBe('^^^"a^^^&b^^^"');
  });

  it('escapes the command without quoting it', () => {
    expect(escapeCmdCommand('C:\\Program Files (x86)\\x.cmd')).toBe('C:\\Program^ Files^ ^(x86^)\\x.cmd');
  });

  it('stays fast on long runs of backslashes', () => {
    const started = performance.now();
    escapeCmdArgument(`${'\\'.repeat(50_000)}x"`);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('buildSpawnPlan', () => {
  const nodejs = 'C:\\Program Files\\nodejs';
  const win = {
    platform: 'win32' as const,
    PATH: `${nodejs};C:\\proj\\node_modules\\.bin`,
    comspec: 'C:\\Windows\\system32\\cmd.exe',
    isExecutable: files(`${nodejs}\\npx.cmd`, `${nodejs}\\node.exe`, 'C:\\proj\\node_modules\\.bin\\mcp-server.cmd', `${nodejs}\\tool.BAT`),
  };

  it('runs executables directly with the arguments untouched', () => {
    expect(buildSpawnPlan('node', ['server.js', 'a&b'], win)).toEqual({ file: `${nodejs}\\node.exe`, args: ['server.js', 'a&b'] });
  });

  it('runs batch files through cmd.exe with every part escaped', () => {
    expect(buildSpawnPlan('npx', ['-y', '@modelcontextprotocol/server-memory', 'a&b'], win)).toEqual({
      file: 'C:\\Windows\\system32\\cmd.exe',
      args: [
        '/d',
        '/s',
        '/c',
        '"C:\\Program^ Files\\nodejs\\npx.cmd ^"-y^" ^"@modelcontextprotocol/server-memory^" ^"a^&b^""',
      ],
      windowsVerbatimArguments: true,
    });
  });

  it('treats upper-case batch extensions like lower-case ones', () => {
    expect(buildSpawnPlan('tool', [], win).file).toBe('C:\\Windows\\system32\\cmd.exe');
  });

  it('double-escapes for node_modules\\.bin shims', () => {
    expect(buildSpawnPlan('mcp-server', ['a&b'], win).args[3]).toBe(
      '"C:\\proj\\node_modules\\.bin\\mcp-server.cmd ^^^"a^^^&b^^^""',
    );
  });

  it('defaults to cmd.exe when no COMSPEC is known', () => {
    const { comspec: _unused, ...withoutComspec } = win;
    const plan = buildSpawnPlan('npx', [], withoutComspec);
    if (process.platform !== 'win32') expect(plan.file).toBe('cmd.exe');
  });

  it('refuses line breaks in arguments that would go through cmd.exe', () => {
    expect(() => buildSpawnPlan('npx', ['ok', 'two\nlines'], win)).toThrow(
      'argument 2 of "npx" contains a line break, which cmd.exe cannot pass to npx.cmd',
    );
    expect(buildSpawnPlan('node', ['two\nlines'], win).args).toEqual(['two\nlines']);
  });

  it('says where it looked when a command is missing, shortening long PATHs', () => {
    const PATH = ['/a', '/b', '/c', '/d', '/e', '/f', '/g', '/h'].join(':');
    const attempt = (): unknown => buildSpawnPlan('npx', [], { PATH, platform: 'linux', isExecutable: () => false });
    expect(attempt).toThrow(CommandNotFoundError);
    expect(attempt).toThrow('command "npx" not found on PATH (searched: /a, /b, /c, /d, /e, /f, and 2 more)');
    expect(() => buildSpawnPlan('npx', [], { PATH: '/a', platform: 'linux', isExecutable: () => false })).toThrow(
      'command "npx" not found on PATH (searched: /a)',
    );
    expect(() => buildSpawnPlan('npx', [], { PATH: '', platform: 'linux', isExecutable: () => false })).toThrow(
      'command "npx" not found on PATH (PATH is empty)',
    );
  });

  it('refuses an empty command', () => {
    expect(() => buildSpawnPlan(' ', [], { PATH: '/usr/bin', platform: 'linux' })).toThrow('command is empty');
  });
});
