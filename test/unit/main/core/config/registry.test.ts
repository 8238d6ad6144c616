import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { Registry } from '../../../../../main/core/config/registry.js';
import type { RegistryChangeEvent } from '../../../../../main/core/config/registry.js';
import type { ServerConfig } from '../../../../../shared/server-config.js';

const memory: ServerConfig = {
  transport: 'stdio',
  command: 'npx',
  args: ['-y', '@modelcontextprotocol/server-memory'],
  env: {},
  isolation: 'shared',
  enabled: true,
};
const remote: ServerConfig = {
  transport: 'streamable-http',
  url: 'https://example.com/mcp',
  headers: { Authorization: 'Bearer ${secret:tok}' },
  enabled: true,
};

let root: string;
let dataDir: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-registry-'));
  dataDir = path.join(root, 'data');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8')) as unknown;
}

describe('Registry', () => {
  it('creates the data dir (0700) and starts empty with default settings', async () => {
    const registry = await Registry.open(dataDir);
    expect(registry.list()).toEqual([]);
    expect(registry.settings()).toEqual({ toolNameMaxLength: 47, limits: {} });
    expect(registry.warnings).toEqual([]);
    const mode = (await stat(dataDir)).mode & 0o777;
    if (process.platform !== 'win32') expect(mode).toBe(0o700);
  });

  it('persists puts to disk and reads them back in insertion order', async () => {
    const registry = await Registry.open(dataDir);
    expect(await registry.put('memory', memory)).toBe('added');
    expect(await registry.put('remote', remote)).toBe('added');
    expect(await registry.put('memory', { ...memory, enabled: false })).toBe('updated');

    expect(await readJson(path.join(dataDir, 'registry.json'))).toEqual({
      version: 1,
      servers: { memory: { ...memory, enabled: false }, remote },
      settings: { toolNameMaxLength: 47, limits: {} },
    });

    const reopened = await Registry.open(dataDir);
    expect(reopened.list().map((entry) => entry.name)).toEqual(['memory', 'remote']);
    expect(reopened.get('remote')).toEqual(remote);
    expect(reopened.get('memory')?.enabled).toBe(false);
  });

  it('hands out copies', async () => {
    const registry = await Registry.open(dataDir);
    await registry.put('memory', memory);
    const copy = registry.get('memory');
    if (copy?.transport === 'stdio') copy.args.push('--evil');
    expect(registry.get('memory')).toEqual(memory);
  });

  it('does not mistake prototype members for servers', async () => {
    const registry = await Registry.open(dataDir);
    expect(registry.get('constructor')).toBeUndefined();
    expect(registry.has('toString')).toBe(false);
    expect(await registry.remove('hasOwnProperty')).toBe(false);
  });

  it('rejects invalid names and configs without writing', async () => {
    const registry = await Registry.open(dataDir);
    await expect(registry.put('a b', memory)).rejects.toThrow('server "a b": name may contain only letters');
    const broken = { ...memory, command: '' } as ServerConfig;
    await expect(registry.put('x', broken)).rejects.toThrow('server "x": invalid config');
    expect(registry.list()).toEqual([]);
    await expect(readFile(path.join(dataDir, 'registry.json'))).rejects.toThrow(/ENOENT/);
  });

  it('removes entries', async () => {
    const registry = await Registry.open(dataDir);
    await registry.put('memory', memory);
    await registry.put('remote', remote);
    expect(await registry.remove('memory')).toBe(true);
    expect(await registry.remove('memory')).toBe(false);
    expect((await Registry.open(dataDir)).list()).toEqual([{ name: 'remote', config: remote }]);
  });

  it('imports servers: imported entries win, others stay', async () => {
    const registry = await Registry.open(dataDir);
    await registry.put('memory', memory);
    await registry.put('keep', remote);
    const result = await registry.importServers({
      memory: { ...memory, args: ['other'] },
      fresh: { ...remote, transport: 'sse' },
    });
    expect(result).toEqual({ added: ['fresh'], updated: ['memory'] });
    const reopened = await Registry.open(dataDir);
    expect(reopened.list().map((entry) => entry.name)).toEqual(['memory', 'keep', 'fresh']);
    expect(reopened.get('memory')).toEqual({ ...memory, args: ['other'] });
    expect(reopened.get('keep')).toEqual(remote);
  });

  it('imports nothing when one entry is invalid', async () => {
    const registry = await Registry.open(dataDir);
    await expect(registry.importServers({ good: memory, 'bad name': memory })).rejects.toThrow('bad name');
    expect(registry.list()).toEqual([]);
  });

  it('fires one change event per mutation, after the write, until disposed', async () => {
    const registry = await Registry.open(dataDir);
    const events: RegistryChangeEvent[] = [];
    const onDisk: unknown[] = [];
    const subscription = registry.onDidChange((event) => {
      events.push(event);
      onDisk.push(JSON.parse(readFileSync(path.join(dataDir, 'registry.json'), 'utf8')));
    });
    await registry.put('memory', memory);
    await registry.put('memory', memory);
    await registry.importServers({ remote, memory });
    await registry.remove('remote');
    await registry.updateSettings({ toolNameMaxLength: 40 });
    subscription.dispose();
    await registry.remove('memory');

    const none = { added: [], updated: [], removed: [], settingsChanged: false };
    expect(events).toEqual([
      { ...none, added: ['memory'] },
      { ...none, updated: ['memory'] },
      { ...none, added: ['remote'], updated: ['memory'] },
      { ...none, removed: ['remote'] },
      { ...none, settingsChanged: true },
    ]);
    expect(onDisk[0]).toMatchObject({ servers: { memory } });
  });

  it('keeps going when a listener throws', async () => {
    const registry = await Registry.open(dataDir);
    const seen: string[] = [];
    registry.onDidChange(() => {
      throw new Error('listener bug');
    });
    registry.onDidChange((event) => seen.push(...event.added));
    await registry.put('memory', memory);
    expect(seen).toEqual(['memory']);
  });

  it('validates and persists settings', async () => {
    const registry = await Registry.open(dataDir);
    expect(await registry.updateSettings({ toolNameMaxLength: 60 })).toEqual({ toolNameMaxLength: 60, limits: {} });
    await expect(registry.updateSettings({ toolNameMaxLength: 0 })).rejects.toThrow('invalid settings');
    expect(await registry.updateSettings({ limits: { rateBurst: 20, maxSessions: 9 } })).toEqual({ toolNameMaxLength: 60, limits: { rateBurst: 20, maxSessions: 9 } });
    await expect(registry.updateSettings({ limits: { rateBurst: -1 } })).rejects.toThrow(/limits\.rateBurst/);
    await expect(registry.updateSettings({ limits: { rateBrust: 1 } as never })).rejects.toThrow(/rateBrust/);
    expect((await Registry.open(dataDir)).settings()).toEqual({ toolNameMaxLength: 60, limits: { rateBurst: 20, maxSessions: 9 } });
  });

  it('backs up a corrupt file, starts empty and says so', async () => {
    await mkdirData();
    const file = path.join(dataDir, 'registry.json');
    await writeFile(file, '{ "version": 1, "servers": {');
    const registry = await Registry.open(dataDir, { now: () => new Date('2025-03-04T05:06:07.089Z') });

    expect(registry.list()).toEqual([]);
    expect(registry.warnings).toHaveLength(1);
    expect(registry.warnings[0]).toMatch(
      /^registry\.json is not valid JSON \(.+\); copied it to registry\.json\.backup-2025-03-04T05-06-07-089Z and started with an empty registry$/,
    );
    expect(await readFile(path.join(dataDir, 'registry.json.backup-2025-03-04T05-06-07-089Z'), 'utf8')).toBe(
      '{ "version": 1, "servers": {',
    );
    expect(await readJson(file)).toEqual({ version: 1, servers: {}, settings: { toolNameMaxLength: 47, limits: {} } });
    expect((await Registry.open(dataDir)).warnings).toEqual([]);
  });

  it('treats valid JSON of the wrong shape or version as corrupt', async () => {
    await mkdirData();
    await writeFile(path.join(dataDir, 'registry.json'), '[1, 2]');
    const first = await Registry.open(dataDir, { now: () => new Date(1) });
    expect(first.warnings[0]).toMatch(/^registry\.json is not a Gatehouse registry; copied it to registry\.json\.backup-/);

    await writeFile(path.join(dataDir, 'registry.json'), JSON.stringify({ version: 2, servers: {} }));
    const second = await Registry.open(dataDir, { now: () => new Date(2) });
    expect(second.warnings[0]).toMatch(/has format version 2/);
    expect((await readdir(dataDir)).filter((name) => name.includes('.backup-'))).toHaveLength(2);
  });

  it('drops invalid entries and settings with a warning, keeping the rest', async () => {
    await mkdirData();
    const file = path.join(dataDir, 'registry.json');
    await writeFile(
      file,
      JSON.stringify({
        version: 1,
        servers: {
          memory,
          broken: { transport: 'stdio', command: 'x' },
          'bad name': memory,
          remote,
        },
        settings: { toolNameMaxLength: 'long', limits: { maxSessions: 12, rateBurst: 0, futureLimit: 3 } },
      }),
    );
    const registry = await Registry.open(dataDir, { now: () => new Date(0) });
    expect(registry.list().map((entry) => entry.name)).toEqual(['memory', 'remote']);
    expect(registry.settings()).toEqual({ toolNameMaxLength: 47, limits: { maxSessions: 12 } });
    expect(registry.warnings).toEqual([
      expect.stringMatching(/^registry\.json: dropped server "broken": /),
      'registry.json: dropped server "bad name": name may contain only letters, digits, "-" and "_"',
      'registry.json: invalid settings.toolNameMaxLength; using 47',
      'registry.json: invalid settings.limits.rateBurst; using its default',
      'registry.json: unknown limit settings.limits.futureLimit; ignored',
      'the original registry.json was copied to registry.json.backup-1970-01-01T00-00-00-000Z',
    ]);
    expect(await readJson(path.join(dataDir, 'registry.json.backup-1970-01-01T00-00-00-000Z'))).toMatchObject({
      servers: { broken: { command: 'x' } },
    });
    expect(await readJson(file)).toEqual({
      version: 1,
      servers: { memory, remote },
      settings: { toolNameMaxLength: 47, limits: { maxSessions: 12 } },
    });
  });

  it('reports warnings to the logger', async () => {
    await mkdirData();
    await writeFile(path.join(dataDir, 'registry.json'), 'nope');
    const logged: string[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (message: string) => logged.push(message),
      error: () => {},
      child: () => logger,
    };
    const registry = await Registry.open(dataDir, { logger });
    expect(logged).toEqual(registry.warnings);
  });
});

async function mkdirData(): Promise<void> {
  await mkdir(dataDir, { recursive: true });
}
