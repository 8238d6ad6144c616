/**
 * `gatehouse client ...` in process, against a temporary home and data directory: list, show,
 * install (a token of its own, printed once or written where the client needs it literally),
 * idempotence, --force, remove (entry out, token revoked), an invalid file refused.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runClientCommand } from '../../main/cli/client-command.js';
import { Registry } from '../../main/core/config/registry.js';
import { TokenStore } from '../../main/core/security/token-store.js';

let home: string;
let dataDir: string;

beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'gatehouse-client-home-'));
  dataDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-client-data-'));
  // --server names are checked against the registry.
  const registry = await Registry.open(dataDir);
  await registry.importServers({
    github: { transport: 'streamable-http', url: 'https://api.example/mcp', headers: {}, enabled: true },
    memory: { transport: 'stdio', command: 'node', args: [], env: {}, isolation: 'shared', enabled: true },
  });
  registry.dispose();
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runClientCommand(
    args,
    {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      env: {},
      home,
      platform: 'linux',
      bridgeCommand: { command: '/usr/bin/node', args: ['/opt/gatehouse/dist/main/cli.js'] },
    },
    dataDir,
  );
  return { code, stdout, stderr };
}

async function tokenNames(): Promise<Array<{ name: string; servers: unknown }>> {
  const tokens = await TokenStore.open(dataDir, { env: {} });
  try {
    return tokens.list().map((t) => ({ name: t.name, servers: t.acl.servers }));
  } finally {
    await tokens.close();
  }
}

describe('gatehouse client', () => {
  it('lists clients and shows a snippet with its place', async () => {
    const list = await run('list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^codex\s+Codex CLI \/ Codex app\s+HTTP\s+install$/m);
    expect(list.stdout).toMatch(/^claude-desktop\s+Claude Desktop\s+via gatehouse bridge\s+install$/m);
    expect(list.stdout).toMatch(/^chatgpt\s+ChatGPT\s+cannot reach 127\.0\.0\.1$/m);

    const show = await run('show', 'cursor', '--server', 'github', '--url', 'http://127.0.0.1:9000');
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`Put in ${path.join(home, '.cursor/mcp.json')} (or: gatehouse client install cursor):`);
    expect(show.stdout).toContain('"gatehouse-github": {');
    expect(show.stdout).toContain('"url": "http://127.0.0.1:9000/servers/github/mcp"');
    expect(show.stdout).toContain('install link: cursor://anysphere.cursor-deeplink/mcp/install?name=gatehouse-github&config=');

    const cloud = await run('show', 'claude-ai');
    expect(cloud.stdout).toMatch(/cannot reach Gatehouse on 127\.0\.0\.1/);
    expect((await run('show', 'nope')).code).toBe(2);
  });

  it('installs Codex with a token of its own, idempotently; --force rotates it; remove undoes it', async () => {
    const file = path.join(home, '.codex/config.toml');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '# mine\nmodel = "gpt-6"\n');
    const first = await run('install', 'codex');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^gth_[A-Za-z0-9_-]{43}\n$/); // the secret alone on stdout
    expect(first.stderr).toContain('set GATEHOUSE_TOKEN to it');
    expect(first.stderr).toMatch(/backup: .*config\.toml\.backup-/);
    const text = await readFile(file, 'utf8');
    expect(text.startsWith('# mine\nmodel = "gpt-6"\n')).toBe(true);
    expect(text).not.toContain('gth_');
    expect(parseToml(text)).toEqual({ model: 'gpt-6', mcp_servers: { gatehouse: { url: 'http://127.0.0.1:7420/mcp', bearer_token_env_var: 'GATEHOUSE_TOKEN' } } });
    expect(await tokenNames()).toEqual([{ name: 'client:codex', servers: '*' }]);

    const again = await run('install', 'codex');
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain('already installed');
    expect(await tokenNames()).toHaveLength(1);

    const forced = await run('install', 'codex', '--force');
    expect(forced.stdout).toMatch(/^gth_/);
    expect(forced.stdout).not.toBe(first.stdout);
    expect(await tokenNames()).toHaveLength(1);

    const removed = await run('remove', 'codex');
    expect(removed.stdout).toContain('Removed "gatehouse"');
    expect(removed.stdout).toContain('Revoked 1 token');
    expect(await readFile(file, 'utf8')).toBe('# mine\nmodel = "gpt-6"\n');
    expect(await tokenNames()).toEqual([]);
  });

  it('installs the bridge into Claude Desktop for one server, the token in the file and not printed', async () => {
    const result = await run('install', 'claude-desktop', '--server', 'memory');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const file = path.join(home, '.config/Claude/claude_desktop_config.json');
    const doc = JSON.parse(await readFile(file, 'utf8')) as { mcpServers: Record<string, { command: string; args: string[]; env: Record<string, string> }> };
    const entry = doc.mcpServers['gatehouse-memory']!;
    expect(entry.command).toBe('/usr/bin/node');
    expect(entry.args).toEqual(['/opt/gatehouse/dist/main/cli.js', 'bridge', '--url', 'http://127.0.0.1:7420/servers/memory/mcp']);
    expect(entry.env['GATEHOUSE_TOKEN']).toMatch(/^gth_/);
    expect(await tokenNames()).toEqual([{ name: 'client:claude-desktop:gatehouse-memory', servers: ['memory'] }]);
  });

  it('refuses an invalid file and creates no token', async () => {
    const file = path.join(home, '.config/Code/User/mcp.json');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '{ "servers": ');
    const result = await run('install', 'vscode');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/mcp\.json is not valid .* left unchanged/);
    expect(await readFile(file, 'utf8')).toBe('{ "servers": ');
    expect(await tokenNames()).toEqual([]);
  });

  it('says how to set up clients it cannot install', async () => {
    const result = await run('install', 'jetbrains-ai-assistant');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/paste the snippet into Settings/);
  });
});
