import { describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../../../../shared/server-config.js';
import { extractSecrets, isSensitiveEnv, isSensitiveHeader, secretName } from '../../../../../main/core/security/import-secrets.js';
import { MemorySecretStore } from '../../../../../main/core/security/secret-store.js';
import { resolveSecretRefs } from '../../../../../main/core/security/secret-refs.js';

const servers: Record<string, ServerConfig> = {
  github: {
    transport: 'streamable-http',
    url: 'https://api.githubcopilot.com/mcp/',
    headers: {
      Authorization: 'Bearer ghp_abcdef123456',
      'X-Api-Key': 'key-1',
      'X-GitHub-Token': 'tok-2',
      Cookie: 'session=s3',
      Accept: 'application/json',
      'X-Done': '${secret:already}',
    },
    enabled: true,
  },
  memory: {
    transport: 'stdio',
    command: 'npx',
    args: ['-y', '@modelcontextprotocol/server-memory'],
    env: { OPENAI_API_KEY: 'sk-live', DB_PASSWORD: 'pw', client_secret: 'cs', MEMORY_FILE_PATH: '/tmp/m.json', GH_TOKEN: '' },
    isolation: 'shared',
    enabled: true,
  },
};

describe('import extraction', () => {
  it('classifies headers and env names', () => {
    for (const h of ['Authorization', 'authorization', 'X-API-Key', 'Api-Key', 'X-Auth-Token', 'Cookie', 'Proxy-Authorization']) expect(isSensitiveHeader(h), h).toBe(true);
    for (const h of ['Accept', 'Content-Type', 'X-Team', 'User-Agent']) expect(isSensitiveHeader(h), h).toBe(false);
    for (const e of ['GITHUB_TOKEN', 'api_key', 'AWS_SECRET_ACCESS_KEY', 'PGPASSWORD', 'MY_Token_2']) expect(isSensitiveEnv(e), e).toBe(true);
    for (const e of ['PATH', 'MEMORY_FILE_PATH', 'DEBUG', 'NODE_ENV']) expect(isSensitiveEnv(e), e).toBe(false);
  });

  it('moves credential values into the store, rewrites them as references, and reports names only', async () => {
    const store = new MemorySecretStore();
    const { servers: out, moved } = await extractSecrets(servers, store);

    expect(out['github']).toMatchObject({
      headers: {
        Authorization: 'Bearer ${secret:github-authorization}',
        'X-Api-Key': '${secret:github-x-api-key}',
        'X-GitHub-Token': '${secret:github-x-github-token}',
        Cookie: '${secret:github-cookie}',
        Accept: 'application/json',
        'X-Done': '${secret:already}',
      },
    });
    expect(out['memory']).toMatchObject({
      env: {
        OPENAI_API_KEY: '${secret:memory-openai_api_key}',
        DB_PASSWORD: '${secret:memory-db_password}',
        client_secret: '${secret:memory-client_secret}',
        MEMORY_FILE_PATH: '/tmp/m.json',
        GH_TOKEN: '',
      },
    });
    expect(await store.get('github-authorization')).toBe('ghp_abcdef123456');
    expect(await store.get('memory-openai_api_key')).toBe('sk-live');
    expect(moved).toEqual([
      { server: 'github', field: 'headers.Authorization', secret: 'github-authorization', replaced: false },
      { server: 'github', field: 'headers.X-Api-Key', secret: 'github-x-api-key', replaced: false },
      { server: 'github', field: 'headers.X-GitHub-Token', secret: 'github-x-github-token', replaced: false },
      { server: 'github', field: 'headers.Cookie', secret: 'github-cookie', replaced: false },
      { server: 'memory', field: 'env.OPENAI_API_KEY', secret: 'memory-openai_api_key', replaced: false },
      { server: 'memory', field: 'env.DB_PASSWORD', secret: 'memory-db_password', replaced: false },
      { server: 'memory', field: 'env.client_secret', secret: 'memory-client_secret', replaced: false },
    ]);
    const report = JSON.stringify(moved);
    for (const value of ['ghp_abcdef123456', 'key-1', 'tok-2', 'session=s3', 'sk-live']) expect(report).not.toContain(value);
    for (const config of Object.values(out)) {
      expect(JSON.stringify(config)).not.toMatch(/ghp_abcdef|sk-live|key-1|tok-2|s3/);
    }
    // The input is not modified.
    expect(servers['github']!.transport === 'streamable-http' && servers['github']!.headers['Authorization']).toBe('Bearer ghp_abcdef123456');
    // And the references resolve back to the original values.
    await store.set('already', 'pre-existing');
    const resolved = await resolveSecretRefs(out['github']!, store, 'github');
    expect(resolved.transport === 'streamable-http' && resolved.headers).toMatchObject({ Authorization: 'Bearer ghp_abcdef123456', Cookie: 'session=s3' });
  });

  it('re-importing the same values reuses the names; a new value replaces and says so', async () => {
    const store = new MemorySecretStore();
    await extractSecrets(servers, store);
    const again = await extractSecrets(servers, store);
    expect(again.moved.every((m) => !m.replaced)).toBe(true);
    expect(store.list()).toHaveLength(7);
    const rotated = await extractSecrets({ github: { ...servers['github']!, headers: { Authorization: 'Bearer ghp_new' } } as ServerConfig }, store);
    expect(rotated.moved).toEqual([{ server: 'github', field: 'headers.Authorization', secret: 'github-authorization', replaced: true }]);
    expect(await store.get('github-authorization')).toBe('ghp_new');
  });

  it('keeps an Authorization value without a scheme whole', async () => {
    const store = new MemorySecretStore();
    const { servers: out } = await extractSecrets(
      { r: { transport: 'sse', url: 'https://x.example/sse', headers: { authorization: 'rawtoken' }, enabled: true } },
      store,
    );
    expect(out['r']!.transport !== 'stdio' && out['r']!.headers['authorization']).toBe('${secret:r-authorization}');
    expect(await store.get('r-authorization')).toBe('rawtoken');
  });

  it('makes valid, distinct secret names', () => {
    expect(secretName('my_server', 'X Weird/Header')).toBe('my_server-x-weird-header');
    expect(secretName('-x', 'Y')).toBe('x-y');
  });
});
