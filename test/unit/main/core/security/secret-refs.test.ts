import { describe, expect, it } from 'vitest';
import type { RemoteServerConfig, StdioServerConfig } from '../../../../../shared/server-config.js';
import { findSecretRefs, MissingSecretError, resolveSecretRefs, secretNamesIn } from '../../../../../main/core/security/secret-refs.js';
import { MemorySecretStore } from '../../../../../main/core/security/secret-store.js';
import { UnavailableSecretStore } from '../../../../../main/core/security/unavailable-secret-store.js';

const remote: RemoteServerConfig = {
  transport: 'streamable-http',
  url: 'https://api.example.com/mcp',
  headers: { Authorization: 'Bearer ${secret:github}', 'X-Team': 'blue', 'X-Both': '${secret:a}:${secret:b}' },
  enabled: true,
};
const stdio: StdioServerConfig = {
  transport: 'stdio',
  command: 'npx',
  args: ['-y', 'server', '${secret:github}'],
  env: { API_TOKEN: '${secret:api}', MODE: 'fast' },
  isolation: 'shared',
  enabled: true,
};

describe('secret references', () => {
  it('finds references in headers and env, not elsewhere', () => {
    expect(findSecretRefs(remote)).toEqual([
      { field: 'headers.Authorization', name: 'github' },
      { field: 'headers.X-Both', name: 'a' },
      { field: 'headers.X-Both', name: 'b' },
    ]);
    expect(findSecretRefs(stdio)).toEqual([{ field: 'env.API_TOKEN', name: 'api' }]);
    expect(secretNamesIn(remote)).toEqual(['a', 'b', 'github']);
  });

  it('fills in values for launching, leaving the original config alone', async () => {
    const store = new MemorySecretStore({ github: 'ghp_1', a: 'x$&y', b: 'B', api: 'k' });
    const resolved = await resolveSecretRefs(remote, store, 'gh');
    expect(resolved.headers).toEqual({ Authorization: 'Bearer ghp_1', 'X-Team': 'blue', 'X-Both': 'x$&y:B' });
    expect(remote.headers['Authorization']).toBe('Bearer ${secret:github}');
    const launched = await resolveSecretRefs(stdio, store, 'files');
    expect(launched.env).toEqual({ API_TOKEN: 'k', MODE: 'fast' });
    expect(launched.args).toEqual(stdio.args); // args are not resolved
  });

  it('names the server, the field and the secret when one is missing', async () => {
    const error = await resolveSecretRefs(remote, new MemorySecretStore({ github: 'x', a: 'y' }), 'gh').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingSecretError);
    expect(error).toMatchObject({ server: 'gh', field: 'headers.X-Both', secret: 'b' });
    expect((error as Error).message).toBe(
      'server "gh": headers.X-Both refers to secret "b", which is not set (set it with: gatehouse secrets set b)',
    );
  });

  it('says why a reference cannot resolve when no secret can be stored', async () => {
    const store = new UnavailableSecretStore('no keyring on this system (basic_text)');
    const error = await resolveSecretRefs(stdio, store, 'files').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingSecretError);
    expect((error as Error).message).toBe(
      'server "files": env.API_TOKEN refers to secret "api", but no secret can be stored: no keyring on this system (basic_text)',
    );
  });

  it('refuses an invalid reference', async () => {
    const bad: RemoteServerConfig = { ...remote, headers: { Authorization: 'Bearer ${secret:}' } };
    await expect(resolveSecretRefs(bad, new MemorySecretStore(), 'gh')).rejects.toThrow(/invalid secret reference/);
  });
});
