/**
 * Install and remove against temporary home folders holding realistic existing configs:
 * comments in JSONC (VS Code, Zed), other servers present, TOML comments (Codex), YAML
 * comments (Goose, Continue), an invalid file refused, a backup written, idempotence.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generate, type ClientId } from '../../../../../shared/client-configs/index.js';
import {
  findConfigFile,
  hasEntry,
  installEntry,
  InvalidConfigFileError,
  removeEntry,
  resolvePathTemplate,
  type InstallEnv,
} from '../../../../../main/core/clients/install.js';

const URL = 'http://127.0.0.1:7420/mcp';
let home: string;
let ienv: InstallEnv;

beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'gatehouse-home-'));
  ienv = { home, platform: 'linux', env: {} };
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

function entryFor(client: ClientId, extra: { tokenPlaceholder?: string } = {}) {
  const entry = generate(client, { url: URL, ...extra }).entry;
  if (!entry) throw new Error(`${client} has no entry`);
  return entry;
}

async function put(rel: string, text: string): Promise<string> {
  const file = path.join(home, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

async function backups(file: string): Promise<string[]> {
  return (await readdir(path.dirname(file))).filter((f) => f.startsWith(`${path.basename(file)}.backup-`));
}

describe('paths', () => {
  it('resolves per OS, and prefers the file that exists', async () => {
    expect(resolvePathTemplate('%APPDATA%\\Code\\User\\mcp.json', { home: 'C:\\Users\\ann', platform: 'win32', env: {} })).toBe(
      'C:\\Users\\ann\\AppData\\Roaming\\Code\\User\\mcp.json',
    );
    expect(resolvePathTemplate('$XDG_CONFIG_HOME/zed/settings.json', { home: '/home/ann', platform: 'linux', env: { XDG_CONFIG_HOME: '/x' } })).toBe('/x/zed/settings.json');
    expect(await findConfigFile('codex', entryFor('codex'), { ...ienv, env: { CODEX_HOME: '/opt/codex' } })).toBe('/opt/codex/config.toml');
    expect(await findConfigFile('cursor', entryFor('cursor'), ienv)).toBe(path.join(home, '.cursor/mcp.json'));
    // Claude Desktop on Windows: the MSIX location first, the classic one when only it exists.
    const win: InstallEnv = { home, platform: 'win32', env: { APPDATA: path.join(home, 'Roaming'), LOCALAPPDATA: path.join(home, 'Local') } };
    const desktop = entryFor('claude-desktop');
    await put('Roaming/Claude/claude_desktop_config.json', '{}');
    expect(await findConfigFile('claude-desktop', desktop, win)).toMatch(/Roaming[\\/]Claude[\\/]claude_desktop_config\.json$/);
  });
});

describe('JSONC (VS Code user mcp.json)', () => {
  const existing = `// My MCP servers
{
\t"inputs": [
\t\t// the GitHub PAT
\t\t{ "type": "promptString", "id": "github-pat", "description": "GitHub PAT", "password": true },
\t],
\t"servers": {
\t\t"github": { "type": "http", "url": "https://api.githubcopilot.com/mcp/", "headers": { "Authorization": "Bearer \${input:github-pat}" } }, // work
\t},
}
`;

  it('adds the entry and its input, keeps comments, other servers and tabs; remove undoes it', async () => {
    const file = await put('.config/Code/User/mcp.json', existing);
    const entry = entryFor('vscode');
    const result = await installEntry(file, entry, { now: () => new Date('2026-11-21T10:00:00Z') });
    expect(result).toMatchObject({ changed: true, created: false });
    expect(result.backup).toBe(`${file}.backup-2026-11-21T10-00-00-000Z`);
    expect(await readFile(result.backup!, 'utf8')).toBe(existing);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('// My MCP servers');
    expect(text).toContain('// the GitHub PAT');
    expect(text).toContain('// work');
    expect(text).toContain('\t\t"gatehouse": {');
    const doc = parseJsonc(text) as { servers: Record<string, unknown>; inputs: Array<{ id: string }> };
    expect(Object.keys(doc.servers)).toEqual(['github', 'gatehouse']);
    expect(doc.servers['gatehouse']).toEqual(entry.value);
    expect(doc.inputs.map((i) => i.id)).toEqual(['github-pat', 'gatehouse-token']);

    // Idempotent: nothing written, no second backup.
    expect((await installEntry(file, entry)).changed).toBe(false);
    expect(await backups(file)).toHaveLength(1);
    expect(await hasEntry(file, entry)).toBe(true);

    await removeEntry(file, entry, { now: () => new Date('2026-11-21T10:00:01Z') });
    const removed = parseJsonc(await readFile(file, 'utf8')) as { servers: Record<string, unknown>; inputs: Array<{ id: string }> };
    expect(Object.keys(removed.servers)).toEqual(['github']);
    expect(removed.inputs.map((i) => i.id)).toEqual(['github-pat']);
    expect(await readFile(file, 'utf8')).toContain('// work');
    expect(await hasEntry(file, entry)).toBe(false);
    expect((await removeEntry(file, entry)).changed).toBe(false);
  });

  it('refuses a broken file and leaves it alone', async () => {
    const broken = '{ "servers": { "github": { "url": "x" }\n';
    const file = await put('.config/Code/User/mcp.json', broken);
    await expect(installEntry(file, entryFor('vscode'))).rejects.toThrow(InvalidConfigFileError);
    await expect(installEntry(file, entryFor('vscode'))).rejects.toThrow(/mcp\.json is not valid \(.*line \d+\); it was left unchanged/);
    expect(await readFile(file, 'utf8')).toBe(broken);
    expect(await backups(file)).toEqual([]);
  });
});

describe('Zed settings.json (the whole editor config, JSONC)', () => {
  it('adds context_servers beside every other setting', async () => {
    const existing = `// Zed settings
{
  "theme": "One Dark",
  "vim_mode": true, // yes
  "languages": { "Rust": { "tab_size": 4 } },
}
`;
    const file = await put('.config/zed/settings.json', existing);
    const entry = entryFor('zed', { tokenPlaceholder: 'gth_literal' });
    await installEntry(file, entry);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('"vim_mode": true, // yes');
    const doc = parseJsonc(text) as Record<string, unknown>;
    expect(doc['theme']).toBe('One Dark');
    expect(doc['context_servers']).toEqual({ gatehouse: entry.value });
    await removeEntry(file, entry);
    expect(parseJsonc(await readFile(file, 'utf8'))).toEqual({ theme: 'One Dark', vim_mode: true, languages: { Rust: { tab_size: 4 } }, context_servers: {} });
  });
});

describe('strict JSON (Claude Desktop, Cursor)', () => {
  it('keeps the other servers and the rest of the file', async () => {
    const existing = JSON.stringify({ mcpServers: { memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] } }, globalShortcut: 'Ctrl+Space' }, null, 4) + '\n';
    const file = await put('.config/Claude/claude_desktop_config.json', existing);
    const entry = entryFor('claude-desktop', { tokenPlaceholder: 'gth_x' });
    await installEntry(file, entry);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('        "gatehouse": {'); // 4-space indent kept
    expect(JSON.parse(text)).toEqual({ mcpServers: { memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] }, gatehouse: entry.value }, globalShortcut: 'Ctrl+Space' });
    await removeEntry(file, entry);
    expect(await readFile(file, 'utf8')).toBe(existing);
  });

  it('creates a missing file (and its folder), private, without a backup', async () => {
    const entry = entryFor('cursor');
    const file = await findConfigFile('cursor', entry, ienv);
    const result = await installEntry(file, entry);
    expect(result).toEqual({ file, changed: true, created: true });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ mcpServers: { gatehouse: entry.value } });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('refuses comments in a strict JSON file', async () => {
    const file = await put('.cursor/mcp.json', '{ // no\n "mcpServers": {} }');
    await expect(installEntry(file, entryFor('cursor'))).rejects.toThrow(/InvalidCommentToken/);
  });

  it('refuses when the container is not an object', async () => {
    const file = await put('.cursor/mcp.json', '{ "mcpServers": [] }');
    await expect(installEntry(file, entryFor('cursor'))).rejects.toThrow(/"mcpServers" is not an object/);
  });

  it('replaces its own entry when it changed (a new token)', async () => {
    const file = await put('.lmstudio/mcp.json', '{}');
    await installEntry(file, entryFor('lm-studio', { tokenPlaceholder: 'gth_old' }));
    const second = await installEntry(file, entryFor('lm-studio', { tokenPlaceholder: 'gth_new' }));
    expect(second.changed).toBe(true);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('gth_new');
    expect(text).not.toContain('gth_old');
  });
});

describe('TOML (Codex config.toml)', () => {
  const existing = `# Codex settings
model = "gpt-6"   # the default model
approval_policy = "on-request"

[mcp_servers.github]
url = "https://api.githubcopilot.com/mcp/"
bearer_token_env_var = "GITHUB_PAT" # from the keychain

[profiles.work]
model = "gpt-6-mini"
`;

  it('appends its table, keeps every other line, and remove restores the file byte for byte', async () => {
    const file = await put('.codex/config.toml', existing);
    const entry = entryFor('codex');
    const result = await installEntry(file, entry);
    expect(result.changed).toBe(true);
    expect(await readFile(result.backup!, 'utf8')).toBe(existing);
    const text = await readFile(file, 'utf8');
    expect(text).toBe(`${existing}\n[mcp_servers.gatehouse]\nurl = "http://127.0.0.1:7420/mcp"\nbearer_token_env_var = "GATEHOUSE_TOKEN"\n`);
    expect(parseToml(text)).toMatchObject({ model: 'gpt-6', mcp_servers: { github: {}, gatehouse: entry.value }, profiles: { work: {} } });
    expect((await installEntry(file, entry)).changed).toBe(false);
    await removeEntry(file, entry);
    expect(await readFile(file, 'utf8')).toBe(existing);
  });

  it('replaces its table in place of an older one (sub-tables too)', async () => {
    const file = await put(
      '.codex/config.toml',
      `[mcp_servers.gatehouse]\nurl = "http://127.0.0.1:9999/mcp"\n\n[mcp_servers.gatehouse.env_http_headers]\nX = "Y"\n\n[tui]\nnotifications = true\n`,
    );
    await installEntry(file, entryFor('codex'));
    expect(parseToml(await readFile(file, 'utf8'))).toEqual({
      tui: { notifications: true },
      mcp_servers: { gatehouse: { url: URL, bearer_token_env_var: 'GATEHOUSE_TOKEN' } },
    });
  });

  it('refuses invalid TOML and forms it does not edit', async () => {
    const broken = 'model = "gpt-6\n';
    const file = await put('.codex/config.toml', broken);
    await expect(installEntry(file, entryFor('codex'))).rejects.toThrow(/config\.toml is not valid \(TOML error/);
    expect(await readFile(file, 'utf8')).toBe(broken);
    await writeFile(file, 'mcp_servers = { gatehouse = { url = "x" } }\n');
    await expect(installEntry(file, entryFor('codex'))).rejects.toThrow(/inline table or dotted keys/);
  });
});

describe('YAML (Goose, Continue)', () => {
  it('Goose: adds to the extensions map, keeps comments and other extensions', async () => {
    const existing = `# Goose config
GOOSE_PROVIDER: anthropic
extensions:
  developer: # built in
    enabled: true
    type: builtin
    name: developer
`;
    const file = await put('.config/goose/config.yaml', existing);
    const entry = entryFor('goose');
    await installEntry(file, entry);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('# Goose config');
    // yaml keeps every comment; one that trails a key is moved to its own line (a limit of the library).
    expect(text).toContain('# built in');
    expect(parseYaml(text)).toEqual({ GOOSE_PROVIDER: 'anthropic', extensions: { developer: { enabled: true, type: 'builtin', name: 'developer' }, gatehouse: entry.value } });
    expect((await installEntry(file, entry)).changed).toBe(false);
    await removeEntry(file, entry);
    expect(parseYaml(await readFile(file, 'utf8'))).toEqual(parseYaml(existing));
    expect(await readFile(file, 'utf8')).toContain('# built in');
  });

  it('Continue: adds an item to the mcpServers list, by name', async () => {
    const existing = `name: My assistant
version: 1.0.0
schema: v1
mcpServers:
  # local tools
  - name: sqlite
    command: uvx
    args: [mcp-server-sqlite]
`;
    const file = await put('.continue/config.yaml', existing);
    const entry = entryFor('continue');
    await installEntry(file, entry);
    const doc = parseYaml(await readFile(file, 'utf8')) as { mcpServers: Array<{ name: string }> };
    expect(doc.mcpServers.map((s) => s.name)).toEqual(['sqlite', 'gatehouse']);
    expect(doc.mcpServers[1]).toEqual(entry.value);
    expect(await readFile(file, 'utf8')).toContain('# local tools');
    expect((await installEntry(file, entry)).changed).toBe(false);
    await removeEntry(file, entry);
    expect(parseYaml(await readFile(file, 'utf8'))).toEqual(parseYaml(existing));
  });

  it('refuses invalid YAML', async () => {
    const file = await put('.config/goose/config.yaml', 'extensions:\n  a: [1, 2\n');
    await expect(installEntry(file, entryFor('goose'))).rejects.toThrow(/YAML error at line/);
  });
});
