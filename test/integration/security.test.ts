/**
 * Issue 4 end to end: a real gateway on 127.0.0.1 with a token store, an encrypted secret store
 * and launch approvals, driven by the official SDK client and raw HTTP.
 */
import { request } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { parseMcpServersConfig } from '../../shared/config-schema.js';
import { nullLogger } from '../../main/core/base/logger.js';
import { openGatewayHost } from '../../main/core/gateway-host.js';
import { ApprovalStore } from '../../main/core/security/approvals.js';
import { openHeadlessSecretStore } from '../../main/core/security/headless-secrets.js';
import { extractSecrets } from '../../main/core/security/import-secrets.js';
import type { GatewayLimits } from '../../main/core/security/limits.js';
import { TokenStore } from '../../main/core/security/token-store.js';
import { startHeaderEcho, type HeaderEchoBackend } from '../fixtures/backends.js';
import { findPlaintext } from '../support/plaintext-scan.js';
import { bearer, clientPool, FIXTURE_SERVER, startGateway, text, type RunningGateway } from './harness.js';

interface SecureGateway extends RunningGateway {
  port: number;
  adminSecret: string;
}

const running: SecureGateway[] = [];
const pool = clientPool();
const echoes: HeaderEchoBackend[] = [];

afterEach(async () => {
  await pool.closeAll();
  await Promise.allSettled(running.splice(0).map((g) => g.stop()));
  await Promise.allSettled(echoes.splice(0).map((e) => e.stop()));
});

/**
 * Starts a gateway as `gatehouse serve --config` does (the shared harness): credentials of
 * `mcpServers` move to the secret store, the servers are imported and count as approved, an
 * admin token and a client token exist.
 */
async function startSecure(
  mcpServers: Record<string, unknown>,
  opts: { limits?: Partial<GatewayLimits>; secrets?: Record<string, string> } = {},
): Promise<SecureGateway> {
  const gw = await startGateway(mcpServers, {
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.secrets ? { presetSecrets: opts.secrets } : {}),
  });
  const secure: SecureGateway = { ...gw, port: Number(new URL(gw.url).port), adminSecret: gw.adminToken };
  running.push(secure);
  return secure;
}


const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

function postMcp(url: string, headers: Record<string, string>, body = INITIALIZE): Promise<Response> {
  return fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body,
  });
}

/** A raw request, so Host can be anything (fetch always sends the real one). */
function rawStatus(port: number, p: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: p, method: 'GET', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name).sort();
}

async function serverView(gw: SecureGateway, name: string): Promise<Record<string, unknown>> {
  return (await (await gw.admin(`/admin/servers/${name}`)).json()) as Record<string, unknown>;
}

const fixture = (label: string, env: Record<string, string> = {}): Record<string, unknown> => ({
  command: process.execPath,
  args: [FIXTURE_SERVER],
  env: { FIXTURE_LABEL: label, ...env },
});

describe('who may talk to the gateway', () => {
  it('answers a missing or unknown token with 401 and a plain Bearer challenge', async () => {
    const gw = await startSecure({ one: fixture('one') });
    await gw.createToken('laptop');
    for (const headers of [{}, bearer('gth_not-a-token'), { 'x-api-key': 'nope' }]) {
      const res = await postMcp(gw.url, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
      expect(res.headers.get('www-authenticate')).not.toMatch(/resource_metadata/);
    }
    expect((await fetch(`${gw.url}/servers/one/mcp`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await fetch(`${gw.url}/admin/servers`)).status).toBe(401);
  });

  it('keeps client and admin tokens apart: 403 each way', async () => {
    const gw = await startSecure({ one: fixture('one') });
    const client = await gw.createToken('laptop');
    const onAdmin = await fetch(`${gw.url}/admin/servers`, { headers: bearer(client.secret) });
    expect(onAdmin.status).toBe(403);
    expect(((await onAdmin.json()) as { error: string }).error).toMatch(/client token/);
    const adminOnMcp = await postMcp(gw.url, bearer(gw.adminSecret));
    expect(adminOnMcp.status).toBe(403);
    // The token list never carries a secret or a hash.
    const listed = JSON.stringify(await (await gw.admin('/admin/tokens')).json());
    expect(listed).toContain('laptop');
    expect(listed).not.toContain(client.secret);
    expect(listed).not.toMatch(/"hash"/);
  });

  it('applies the ACL: servers outside it are 403 per server and absent from the aggregate, and the token tool filter applies', async () => {
    const gw = await startSecure({ one: fixture('one'), two: fixture('two') });
    const limited = await gw.createToken('only-one', { servers: ['one'], toolFilter: { block: ['delete_*'] } });
    const full = await gw.createToken('everything');

    const everything = await pool.connect(`${gw.url}/mcp`, { headers: bearer(full.secret) });
    expect(await toolNames(everything)).toEqual(expect.arrayContaining(['one__whoami', 'two__whoami', 'one__delete_everything']));

    const aggregate = await pool.connect(`${gw.url}/mcp`, { headers: bearer(limited.secret) });
    const names = await toolNames(aggregate);
    expect(names).toContain('one__whoami');
    expect(names.filter((n) => n.startsWith('two__'))).toEqual([]);
    expect(names).not.toContain('one__delete_everything');
    await expect(aggregate.callTool({ name: 'two__whoami', arguments: {} })).rejects.toThrow();
    const refused = await aggregate.callTool({ name: 'one__delete_everything', arguments: {} }).then(
      (result) => JSON.stringify(result),
      (error: unknown) => String(error),
    );
    expect(refused).toMatch(/delete_everything/);
    expect(refused).not.toMatch(/"deleted"/);

    const perServer = await fetch(`${gw.url}/servers/two/mcp`, {
      method: 'POST',
      headers: { ...bearer(limited.secret), 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: INITIALIZE,
    });
    expect(perServer.status).toBe(403);
    const one = await pool.connect(`${gw.url}/servers/one/mcp`, { headers: bearer(limited.secret) });
    expect(await toolNames(one)).not.toContain('delete_everything');
    expect(text(await one.callTool({ name: 'whoami', arguments: {} }))).toContain('"label":"one"');
  });

  it('refuses a foreign Host (with the right port or not) and a foreign Origin with 403', async () => {
    const gw = await startSecure({});
    const token = await gw.createToken('laptop');
    const own = `127.0.0.1:${gw.port}`;
    expect(await rawStatus(gw.port, '/healthz', { host: own })).toBe(200);
    expect(await rawStatus(gw.port, '/mcp', { host: `evil.example:${gw.port}`, ...bearer(token.secret) })).toBe(403);
    expect(await rawStatus(gw.port, '/healthz', { host: `evil.example:${gw.port}` })).toBe(403);
    // DNS rebinding through another local port's name: right name, wrong port.
    expect(await rawStatus(gw.port, '/healthz', { host: `localhost:${gw.port + 1}` })).toBe(403);
    expect(await rawStatus(gw.port, '/mcp', { host: own, origin: 'http://evil.example', ...bearer(token.secret) })).toBe(403);
    expect(await rawStatus(gw.port, '/admin/servers', { host: own, origin: 'http://evil.example' })).toBe(403);
  });

  it('answers an oversized body with 413 and too many requests with 429 and Retry-After', async () => {
    const gw = await startSecure({}, { limits: { maxBodyBytes: 2048, rateBurst: 3, ratePerSecond: 0.2 } });
    const token = await gw.createToken('laptop');
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(4096) } });
    expect((await postMcp(gw.url, bearer(token.secret), big)).status).toBe(413);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    const list = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    for (let i = 0; i < 4; i++) {
      const res = await postMcp(gw.url, bearer(token.secret), list);
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.body?.cancel();
    }
    // The 413 took one request's worth of the burst of 3.
    expect(statuses.slice(0, 2).every((s) => s !== 429)).toBe(true);
    expect(statuses.slice(2)).toEqual([429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // Another token has its own bucket.
    const other = await gw.createToken('desktop');
    expect((await postMcp(gw.url, bearer(other.secret), list)).status).not.toBe(429);
  });

  it('closes a revoked token’s live session and refuses the token at once', async () => {
    const gw = await startSecure({ one: fixture('one') });
    const token = await gw.createToken('laptop');
    const client = await pool.connect(`${gw.url}/mcp`, { headers: bearer(token.secret) });
    expect(text(await client.callTool({ name: 'one__whoami', arguments: {} }))).toContain('"label":"one"');

    expect((await gw.admin(`/admin/tokens/${token.id}`, { method: 'DELETE' })).status).toBe(200);
    await expect(client.callTool({ name: 'one__whoami', arguments: {} })).rejects.toThrow();
    const after = await postMcp(gw.url, bearer(token.secret));
    expect(after.status).toBe(401);
    // Revoking the last client token does not open the gateway.
    expect((await postMcp(gw.url, {})).status).toBe(401);
  });

  it('picks up a token revoked by another process (gatehouse tokens revoke)', async () => {
    const gw = await startSecure({ one: fixture('one') });
    const token = await gw.createToken('laptop');
    const client = await pool.connect(`${gw.url}/mcp`, { headers: bearer(token.secret) });
    const elsewhere = await TokenStore.open(gw.dataDir, { env: {} });
    expect(await elsewhere.revoke(token.id)).toBe('revoked');
    await elsewhere.close();
    await expect.poll(async () => (await postMcp(gw.url, bearer(token.secret))).status, { timeout: 5_000 }).toBe(401);
    await expect(client.callTool({ name: 'one__whoami', arguments: {} })).rejects.toThrow();
  });

  it('answers 503 with a clear message when the session limit is reached', async () => {
    const gw = await startSecure({ one: fixture('one') }, { limits: { maxSessions: 2 } });
    const token = await gw.createToken('laptop');
    await pool.connect(`${gw.url}/mcp`, { headers: bearer(token.secret) });
    await pool.connect(`${gw.url}/servers/one/mcp`, { headers: bearer(token.secret) });
    const third = await postMcp(gw.url, bearer(token.secret));
    expect(third.status).toBe(503);
    expect(JSON.stringify(await third.json())).toMatch(/too many open sessions \(the limit is 2\)/);
  });
});

describe('launching commands needs approval', () => {
  it('keeps an admin-API stdio server stopped until approved, then starts it; a changed launch asks again', async () => {
    const gw = await startSecure({});
    const added = await gw.admin('/admin/servers', { method: 'POST', body: JSON.stringify({ name: 'late', ...fixture('late') }) });
    expect(added.status).toBe(201);
    const view = (await added.json()) as { status: string; reason: string; approval: string };
    expect(view).toMatchObject({ status: 'stopped', approval: 'pending' });
    expect(view.reason).toMatch(/^waiting for approval: /);
    expect(view.reason).toContain(FIXTURE_SERVER);
    // Starting it by hand does not get around the approval.
    expect(await (await gw.admin('/admin/servers/late/start', { method: 'POST' })).json()).toMatchObject({ status: 'stopped' });

    const approvals = (await (await gw.admin('/admin/approvals')).json()) as { servers: Array<{ server: string; status: string }> };
    expect(approvals.servers).toContainEqual(expect.objectContaining({ server: 'late', status: 'pending' }));
    expect((await gw.admin('/admin/servers/late/approve', { method: 'POST' })).status).toBe(200);
    await expect.poll(async () => (await serverView(gw, 'late')).status).toBe('running');
    expect(await serverView(gw, 'late')).toMatchObject({ approval: 'approved' });

    const changed = await gw.admin('/admin/servers/late', {
      method: 'PUT',
      body: JSON.stringify({ ...fixture('late'), args: [FIXTURE_SERVER, '--garbage-stdout'] }),
    });
    expect(await changed.json()).toMatchObject({ status: 'stopped', approval: 'changed' });

    // `gatehouse approve` from another process: the running gateway notices within seconds.
    const elsewhere = await ApprovalStore.open(gw.dataDir);
    const registry = JSON.parse(await readFile(path.join(gw.dataDir, 'registry.json'), 'utf8')) as { servers: Record<string, unknown> };
    expect(registry.servers['late']).toBeDefined();
    const config = parseMcpServersConfig({ mcpServers: { late: { ...fixture('late'), args: [FIXTURE_SERVER, '--garbage-stdout'] } } });
    if (!config.ok) throw new Error('bad fixture');
    await elsewhere.approve('late', config.servers['late']!, 'cli');
    elsewhere.dispose();
    await expect.poll(async () => (await serverView(gw, 'late')).status, { timeout: 6_000 }).toBe('running');
  });

  it('starts the servers of the --config file without asking', async () => {
    const gw = await startSecure({ one: fixture('one') });
    expect(await serverView(gw, 'one')).toMatchObject({ status: 'running', approval: 'approved' });
  });
});

describe('secrets', () => {
  it('fills in secret references at launch; the registry keeps the reference', async () => {
    const gw = await startSecure({ sec: fixture('${secret:fixture-label}') }, { secrets: { 'fixture-label': 'resolved-label-value' } });
    const client = await pool.connect(`${gw.url}/servers/sec/mcp`);
    expect(text(await client.callTool({ name: 'whoami', arguments: {} }))).toContain('"label":"resolved-label-value"');
    const registry = await readFile(path.join(gw.dataDir, 'registry.json'), 'utf8');
    expect(registry).toContain('${secret:fixture-label}');
    expect(registry).not.toContain('resolved-label-value');
    // The admin API shows that it is set, never the value.
    const listed = JSON.stringify(await (await gw.admin('/admin/secrets')).json());
    expect(listed).toContain('fixture-label');
    expect(listed).not.toContain('resolved-label-value');
  });

  it('puts a server whose secret is missing in error naming server, field and secret; setting it starts the server', async () => {
    const gw = await startSecure({ nosec: fixture('${secret:not-yet}') });
    const view = await serverView(gw, 'nosec');
    expect(view.status).toBe('error');
    expect(view.reason).toMatch(/server "nosec": env\.FIXTURE_LABEL refers to secret "not-yet", which is not set/);
    expect(view.nextRestartAt).toBeUndefined();
    expect((await gw.admin('/admin/secrets/not-yet', { method: 'PUT', body: JSON.stringify({ value: 'now-set' }) })).status).toBe(201);
    await expect.poll(async () => (await serverView(gw, 'nosec')).status).toBe('running');
  });
});

describe('the plaintext scan', () => {
  it('finds no credential or client token in any file of the data dir after a full session', async () => {
    const echo = await startHeaderEcho();
    echoes.push(echo);
    const backendCredential = 'ghp_backendcredential_4f9a1c';
    const apiKey = 'sk-live-apikey-7d2e9b';
    const gw = await startSecure({
      remote: { type: 'streamable-http', url: echo.url, headers: { Authorization: `Bearer ${backendCredential}`, 'X-Api-Key': apiKey } },
      local: fixture('local', { API_KEY: apiKey }),
    });
    const moved = JSON.parse(await readFile(path.join(gw.dataDir, 'registry.json'), 'utf8')) as unknown;
    expect(JSON.stringify(moved)).toContain('Bearer ${secret:remote-authorization}');

    const token = await gw.createToken('laptop');
    const aggregate = await pool.connect(`${gw.url}/mcp`, { headers: bearer(token.secret) });
    expect(text(await aggregate.callTool({ name: 'local__whoami', arguments: {} }))).toContain('"label":"local"');
    expect(text(await aggregate.callTool({ name: 'remote__whoami', arguments: {} }))).toContain(backendCredential);
    const perServer = await pool.connect(`${gw.url}/servers/remote/mcp`, { headers: bearer(token.secret) });
    expect(text(await perServer.callTool({ name: 'whoami', arguments: {} }))).toContain(backendCredential);
    const local = await pool.connect(`${gw.url}/servers/local/mcp`, { headers: bearer(token.secret) });
    expect(text(await local.callTool({ name: 'echo', arguments: { message: 'hi' } }))).toBe('local: hi');
    // The pass-through sent the resolved credential, and never the client's token.
    const lastAuth = echo.received.map((r) => r.headers.authorization).filter(Boolean);
    expect(lastAuth.every((a) => a === `Bearer ${backendCredential}`)).toBe(true);
    expect(JSON.stringify(echo.received.map((r) => r.headers))).not.toContain(token.secret);

    await pool.closeAll();
    // Everything the session would write is on disk: token use included.
    await gw.tokens.flush();
    const tokensFile = await readFile(path.join(gw.dataDir, 'tokens.json'), 'utf8');
    expect(tokensFile).toContain('laptop');
    expect(tokensFile).toContain('lastUsedAt');
    const hits = await findPlaintext(gw.dataDir, [backendCredential, apiKey, token.secret, gw.adminSecret]);
    expect(hits).toEqual([]);
  });
});
