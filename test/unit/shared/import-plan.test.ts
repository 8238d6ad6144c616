import { describe, expect, it } from 'vitest';
import * as core from '../../../main/core/security/import-secrets.js';
import { applyImport, isSensitiveEnv, isSensitiveHeader, maskValue, planImport, secretName } from '../../../shared/import-plan.js';

const NAMES = ['Authorization', 'Proxy-Authorization', 'Cookie', 'X-Api-Key', 'x-token', 'Client-Secret', 'apikey', 'api_key', 'Accept', 'User-Agent',
  'GITHUB_TOKEN', 'API_KEY', 'DB_PASSWORD', 'PASSWD', 'AWS_CREDENTIALS', 'MEMORY_FILE_PATH', 'HOME', 'keyboard'];

describe('import plan', () => {
  it('uses the same credential rules and secret names as `serve --config`', () => {
    for (const name of NAMES) {
      expect(isSensitiveHeader(name), name).toBe(core.isSensitiveHeader(name));
      expect(isSensitiveEnv(name), name).toBe(core.isSensitiveEnv(name));
      expect(secretName('My Server', name)).toBe(core.secretName('My Server', name));
    }
  });

  it('previews a Claude Desktop config: credentials become references, values are masked', () => {
    const text = JSON.stringify({
      mcpServers: {
        memory: { command: 'npx', args: ['-y', 'server-memory'], env: { API_KEY: 'sk-1234567890', MEMORY_FILE_PATH: '/tmp/m.json' } },
        github: { type: 'http', url: 'https://api.example.com/mcp', headers: { Authorization: 'Bearer ghp_abcdef' } },
      },
      globalShortcut: 'x',
    });
    const plan = planImport(text, ['github']);
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    const [memory, github] = plan.items;
    expect(memory).toMatchObject({ name: 'memory', replaces: false, config: { env: { API_KEY: '${secret:memory-api_key}', MEMORY_FILE_PATH: '/tmp/m.json' } } });
    expect(memory!.moves).toEqual([expect.objectContaining({ field: 'env.API_KEY', secret: 'memory-api_key', value: 'sk-1234567890' })]);
    expect(github).toMatchObject({ replaces: true, config: { headers: { Authorization: 'Bearer ${secret:github-authorization}' } } });
    expect(github!.moves[0]!.value).toBe('ghp_abcdef');
    expect(maskValue('sk-1234567890')).toBe('sk••••••••••• (13 chars)');
    expect(maskValue('abc')).toBe('•••');
  });

  it('reads VS Code configs and reports schema problems per server', () => {
    expect(planImport('{"servers": {"a": {"type": "stdio", "command": "node"}}}', [])).toMatchObject({ ok: true, items: [{ name: 'a' }] });
    expect(planImport('{"mcpServers": {"a": {"comand": "node"}}}', [])).toMatchObject({ ok: false });
    expect(planImport('{oops', [])).toMatchObject({ ok: false, errors: [expect.stringContaining('invalid JSON')] });
    expect(planImport('{"other": 1}', [])).toMatchObject({ ok: false, errors: [expect.stringContaining('no servers found')] });
  });

  it('writes the secrets before the servers', async () => {
    const plan = planImport(JSON.stringify({ mcpServers: { m: { command: 'node', env: { TOKEN: 't0k' } } } }), []);
    if (!plan.ok) throw new Error(plan.errors.join());
    const calls: string[] = [];
    await applyImport(
      {
        setSecret: async (name, value) => void calls.push(`secret ${name}=${value}`),
        putServer: async (name, entry) => {
          calls.push(`server ${name} ${JSON.stringify(entry)}`);
          return {} as never;
        },
      },
      plan.items,
    );
    expect(calls).toEqual(['secret m-token=t0k', 'server m {"command":"node","env":{"TOKEN":"${secret:m-token}"}}']);
  });
});
