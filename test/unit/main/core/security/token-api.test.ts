import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../../../../shared/server-config.js';
import { handleSecurityAdminRequest, type SecurityAdminDeps } from '../../../../../main/core/http/token-api.js';
import { ApprovalStore, launchFingerprint } from '../../../../../main/core/security/approvals.js';
import { MemorySecretStore } from '../../../../../main/core/security/secret-store.js';
import { TokenStore } from '../../../../../main/core/security/token-store.js';
import { UnavailableSecretStore } from '../../../../../main/core/security/unavailable-secret-store.js';

const servers: Record<string, ServerConfig> = {
  files: { transport: 'stdio', command: 'node', args: ['server.js'], env: { API_TOKEN: '${secret:files-token}' }, isolation: 'shared', enabled: true },
  remote: { transport: 'sse', url: 'https://x.example/sse', headers: { Authorization: 'Bearer ${secret:gh}' }, enabled: true },
};

let dir: string;
let http: Server;
let base: string;
let deps: SecurityAdminDeps;
let approved: string[];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-token-api-'));
  approved = [];
  deps = {
    tokens: await TokenStore.open(dir, { env: { GATEHOUSE_ADMIN_TOKEN: 'env-admin-secret' } }),
    secrets: new MemorySecretStore({ gh: 'ghp_value_never_shown' }),
    approvals: await ApprovalStore.open(dir),
    servers: {
      get: (name) => servers[name],
      list: () => Object.entries(servers).map(([name, config]) => ({ name, config })),
    },
    launch: { PATH: '/nonexistent', platform: 'linux', cwd: '/srv' },
    maxBodyBytes: 1024,
    onApproved: (server) => {
      approved.push(server);
    },
  };
  http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    void handleSecurityAdminRequest(req, res, url, deps).then((handled) => {
      if (!handled) {
        res.writeHead(418);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

async function call(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + p, {
    method,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('security admin API', () => {
  it('creates a token (secret once), lists without secrets, revokes', async () => {
    const created = await call('POST', '/admin/tokens', { name: 'cursor', acl: { servers: ['files'], toolFilter: { block: ['rm_*'] } } });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^gth_/);
    expect(created.body.token).toMatchObject({ name: 'cursor', kind: 'client', acl: { servers: ['files'], toolFilter: { block: ['rm_*'] } } });

    const list = await call('GET', '/admin/tokens');
    expect(list.status).toBe(200);
    expect(list.body.tokens.map((t: { name: string }) => t.name)).toEqual(['env:GATEHOUSE_ADMIN_TOKEN', 'cursor']);
    expect(JSON.stringify(list.body)).not.toContain(created.body.secret);
    expect(JSON.stringify(list.body)).not.toContain('env-admin-secret');

    expect((await call('POST', '/admin/tokens', { name: 'cursor' })).status).toBe(409);
    expect((await call('DELETE', `/admin/tokens/${created.body.token.id}`)).body).toEqual({ revoked: created.body.token.id });
    expect((await call('DELETE', `/admin/tokens/${created.body.token.id}`)).status).toBe(404);
    expect((await call('DELETE', '/admin/tokens/env-admin')).status).toBe(409);
  });

  it('validates token requests', async () => {
    const bad = await call('POST', '/admin/tokens', { name: 'x', kind: 'root', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.details.join('\n')).toMatch(/kind/);
    expect((await call('POST', '/admin/tokens', { name: 'x', acl: { servers: ['not ok'] } })).status).toBe(400);
    expect((await call('POST', '/admin/tokens', '{oops')).status).toBe(400);
    expect((await call('POST', '/admin/tokens', { name: 'x'.repeat(2000) })).status).toBe(413);
    expect((await call('PUT', '/admin/tokens')).status).toBe(405);
  });

  it('manages secrets by name, never returning values', async () => {
    const list = await call('GET', '/admin/secrets');
    expect(list.body).toEqual({
      secrets: [{ name: 'gh', updatedAt: expect.any(String), usedBy: ['remote'], uses: [{ server: 'remote', field: 'headers.Authorization', scheme: 'Bearer' }] }],
      missing: [{ name: 'files-token', usedBy: ['files'], uses: [{ server: 'files', field: 'env.API_TOKEN' }] }],
    });
    expect(JSON.stringify(list.body)).not.toContain('ghp_value_never_shown');

    const put = await call('PUT', '/admin/secrets/files-token', { value: 'tok-123' });
    expect(put.status).toBe(201);
    expect(put.body).toEqual({ name: 'files-token', updatedAt: expect.any(String), usedBy: ['files'], uses: [{ server: 'files', field: 'env.API_TOKEN' }] });
    expect(await deps.secrets!.get('files-token')).toBe('tok-123');
    expect((await call('PUT', '/admin/secrets/files-token', { value: 'tok-456' })).status).toBe(200);
    expect((await call('PUT', '/admin/secrets/files-token', { value: '' })).status).toBe(400);
    expect((await call('PUT', '/admin/secrets/bad%20name', { value: 'x' })).status).toBe(400);

    expect((await call('DELETE', '/admin/secrets/gh')).body).toEqual({ deleted: 'gh', usedBy: ['remote'] });
    expect((await call('DELETE', '/admin/secrets/gh')).status).toBe(404);
  });

  it('answers 503 for secrets when there is no store', async () => {
    delete deps.secrets;
    expect((await call('GET', '/admin/secrets')).status).toBe(503);
  });

  it('answers 503 with the reason when the store cannot hold secrets, and still lists what is missing', async () => {
    deps.secrets = new UnavailableSecretStore('Electron reports no keyring on this system (basic_text)');
    const put = await call('PUT', '/admin/secrets/gh', { value: 'ghp_x' });
    expect(put.status).toBe(503);
    expect(put.body.error).toBe('No secret can be stored: Electron reports no keyring on this system (basic_text). See "Secret store" in Settings.');
    expect((await call('DELETE', '/admin/secrets/gh')).status).toBe(503);
    const list = await call('GET', '/admin/secrets');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ secrets: [], missing: [{ name: 'files-token', usedBy: ['files'], uses: [{ server: 'files', field: 'env.API_TOKEN' }] }, { name: 'gh', usedBy: ['remote'], uses: [{ server: 'remote', field: 'headers.Authorization', scheme: 'Bearer' }] }] });
  });

  it('lists approvals with launch descriptions and approves, checking the fingerprint shown', async () => {
    const list = await call('GET', '/admin/approvals');
    expect(list.body.servers).toEqual([
      {
        server: 'files',
        status: 'pending',
        launch: expect.objectContaining({ commandLine: 'node server.js', cwd: '/srv', envNames: ['API_TOKEN'], secretRefs: ['files-token'] }),
      },
    ]);
    const stale = await call('POST', '/admin/servers/files/approve', { fingerprint: 'f'.repeat(64) });
    expect(stale.status).toBe(409);
    expect(approved).toEqual([]);

    const ok = await call('POST', '/admin/servers/files/approve', { fingerprint: launchFingerprint(servers['files'] as never) });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ server: 'files', status: 'approved', approval: { source: 'admin-api' } });
    expect(approved).toEqual(['files']);
    expect((await call('POST', '/admin/servers/files/approve')).status).toBe(200);
    expect((await call('POST', '/admin/servers/remote/approve')).status).toBe(400);
    expect((await call('POST', '/admin/servers/ghost/approve')).status).toBe(404);
    expect((await call('GET', '/admin/servers/files/approve')).status).toBe(405);
  });

  it('leaves other paths to the caller', async () => {
    expect((await call('GET', '/admin/servers')).status).toBe(418);
    expect((await call('POST', '/admin/servers/files/start')).status).toBe(418);
    expect((await call('GET', '/mcp')).status).toBe(418);
  });
});
