import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseMcpServersConfig } from '../../shared/config-schema.js';
import { nullLogger } from '../../main/core/base/logger.js';
import type { AuditStore } from '../../main/core/audit/audit-store.js';
import type { Gateway } from '../../main/core/gateway.js';
import { openGatewayHost, type GatewayHostOptions } from '../../main/core/gateway-host.js';
import { runAuthCommand } from '../../main/cli/auth-command.js';
import { openHeadlessSecretStore } from '../../main/core/security/headless-secrets.js';
import { findPlaintext } from '../support/plaintext-scan.js';
import { startOAuthFixture, type OAuthFixture, type OAuthFixtureOptions } from '../fixtures/oauth-server.js';
import { connectClient, text } from './harness.js';

/**
 * Remote servers behind OAuth: the gateway signs in through a local authorization server
 * fixture (the test follows the authorization URL with fetch, as a browser would), keeps the
 * tokens in the encrypted secret store only, refreshes them, and says `needs_auth` when it can't.
 */

interface OAuthGateway {
  gateway: Gateway;
  url: string;
  audit: AuditStore;
  stop(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fixture(options: OAuthFixtureOptions = {}): Promise<OAuthFixture> {
  const started = await startOAuthFixture(options);
  cleanups.push(() => started.stop());
  return started;
}

async function newDataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-oauth-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A gateway as `serve` builds it (openGatewayHost): the encrypted headless secret store (key in a file) and the audit. */
async function startOAuthGateway(
  dataDir: string,
  mcpServers?: Record<string, unknown>,
  extra: NonNullable<GatewayHostOptions['gateway']> = {},
): Promise<OAuthGateway> {
  const secrets = await openHeadlessSecretStore({ dataDir, keyring: 'none' });
  const host = await openGatewayHost({
    dataDir,
    host: '127.0.0.1',
    port: 0,
    logger: nullLogger,
    env: {},
    secrets: secrets.store,
    gateway: { oauthRetryDelaysMs: [50, 100], ...extra },
  });
  if (mcpServers) {
    const parsed = parseMcpServersConfig({ mcpServers });
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    await host.registry.importServers(parsed.servers);
  }
  cleanups.push(() => host.close());
  const { url } = await host.gateway.start();
  return { gateway: host.gateway, url, audit: host.audit, stop: () => host.close() };
}

async function admin(gw: OAuthGateway, method: string, route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${gw.url}${route}`, {
    method,
    ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** Starts a sign-in through the admin API and plays the browser: authorize (auto-consent), then the redirect to the gateway. */
async function signIn(gw: OAuthGateway, server: string, body?: unknown): Promise<{ status: number; page: string }> {
  const login = await admin(gw, 'POST', `/admin/servers/${server}/auth/login`, body);
  expect(login.status).toBe(200);
  const authorize = await fetch(String(login.json.url), { redirect: 'manual' });
  expect(authorize.status).toBe(302);
  const callback = await fetch(authorize.headers.get('location')!);
  return { status: callback.status, page: await callback.text() };
}

function statusOf(gw: OAuthGateway, server: string): { status: string; reason?: string } {
  const view = gw.gateway.serverView(server)!;
  return { status: view.status, ...(view.reason ? { reason: view.reason } : {}) };
}

async function callWhoami(gw: OAuthGateway, server: string): Promise<string> {
  const client = await connectClient(`${gw.url}/mcp`);
  try {
    return text(await client.callTool({ name: `${server}__whoami`, arguments: {} }));
  } finally {
    await client.close();
  }
}

describe('OAuth sign-in to remote servers', () => {
  it('asks for a sign-in, then signs in with PKCE, resource and dynamic registration', async () => {
    const as = await fixture({ label: 'one' });
    const gw = await startOAuthGateway(await newDataDir(), { secure: { type: 'http', url: as.url } });

    // A 401 with a Bearer challenge: needs_auth, with no restart loop.
    expect(statusOf(gw, 'secure').status).toBe('error');
    expect(statusOf(gw, 'secure').reason).toMatch(/^needs_auth: server "secure" asks for an OAuth sign-in; sign in with: gatehouse auth login secure$/);
    expect(gw.gateway.serverView('secure')!.nextRestartAt).toBeUndefined();
    expect(gw.gateway.serverView('secure')!.needsAuth).toBe(true);
    const before = await admin(gw, 'GET', '/admin/auth');
    expect(before.json.servers).toEqual([expect.objectContaining({ server: 'secure', state: 'needs_auth' })]);

    const done = await signIn(gw, 'secure');
    expect(done.status).toBe(200);
    expect(done.page).toContain('signed in to &#34;secure&#34;');
    await expect.poll(() => statusOf(gw, 'secure').status).toBe('running');

    expect(as.log.registrations).toBe(1);
    expect(as.log.authorizations).toEqual([expect.objectContaining({ resource: as.url, codeChallengeMethod: 'S256' })]);
    expect(as.log.tokenRequests).toEqual([expect.objectContaining({ grantType: 'authorization_code', resource: as.url, verifierChecked: true })]);

    // The aggregate and the per-server pass-through both reach it with the gateway's token.
    expect(await callWhoami(gw, 'secure')).toBe('protected one');
    const perServer = await connectClient(`${gw.url}/servers/secure/mcp`, { headers: { authorization: 'Bearer client-own-token' } });
    expect(text(await perServer.callTool({ name: 'whoami', arguments: {} }))).toBe('protected one');
    await perServer.close();
    const issued = new Set(as.issued());
    expect(as.log.acceptedTokens.every((token) => issued.has(token))).toBe(true);

    const after = await admin(gw, 'GET', '/admin/auth');
    const status = (after.json.servers as Array<Record<string, unknown>>)[0]!;
    expect(status).toMatchObject({ server: 'secure', state: 'signed_in', client: 'dynamic', issuer: as.issuer, hasRefreshToken: true });
    expect(JSON.stringify(after.json)).not.toMatch(new RegExp(as.issued().join('|')));
  });

  it('says whether it handed the sign-in page to openUrl (opened), and shows the URL either way', async () => {
    const as = await fixture({ label: 'opened' });
    const plain = await startOAuthGateway(await newDataDir(), { secure: { type: 'http', url: as.url } });
    const shown = await admin(plain, 'POST', '/admin/servers/secure/auth/login');
    expect(shown.json).toMatchObject({ server: 'secure', url: expect.stringContaining('/authorize?'), opened: false });

    const openedUrls: string[] = [];
    const desktop = await startOAuthGateway(await newDataDir(), { secure: { type: 'http', url: as.url } }, { openUrl: (url) => void openedUrls.push(url) });
    const opened = await admin(desktop, 'POST', '/admin/servers/secure/auth/login');
    expect(opened.json).toMatchObject({ server: 'secure', opened: true });
    expect(openedUrls).toEqual([opened.json.url]);

    // A browser that cannot be opened does not fail the sign-in: the caller shows the URL instead.
    const failing = await startOAuthGateway(await newDataDir(), { secure: { type: 'http', url: as.url } }, { openUrl: () => Promise.reject(new Error('no browser')) });
    const notOpened = await admin(failing, 'POST', '/admin/servers/secure/auth/login');
    expect(notOpened.status).toBe(200);
    expect(notOpened.json).toMatchObject({ opened: false, url: expect.stringContaining('/authorize?') });
  });

  it('checks the state and the iss of the callback', async () => {
    const as = await fixture();
    const gw = await startOAuthGateway(await newDataDir(), { secure: { type: 'http', url: as.url } });
    const login = await admin(gw, 'POST', '/admin/servers/secure/auth/login');
    const redirect = new URL((await fetch(String(login.json.url), { redirect: 'manual' })).headers.get('location')!);

    const wrongState = new URL(redirect);
    wrongState.searchParams.set('state', 'forged');
    const forged = await fetch(wrongState);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('state mismatch');

    const wrongIss = new URL(redirect);
    wrongIss.searchParams.set('iss', 'http://127.0.0.1:1/evil');
    const mixedUp = await fetch(wrongIss);
    expect(mixedUp.status).toBe(400);
    expect(await mixedUp.text()).toContain('iss mismatch');
    expect(as.log.tokenRequests).toHaveLength(0);
    expect(statusOf(gw, 'secure').status).toBe('error');
  });

  it('signs in with a pre-registered client instead of dynamic registration', async () => {
    const as = await fixture({ registration: false, preRegistered: { clientId: 'hand-made', clientSecret: 'pre-registered-secret-value' } });
    const dataDir = await newDataDir();
    const gw = await startOAuthGateway(dataDir, { secure: { type: 'http', url: as.url } });
    const done = await signIn(gw, 'secure', { clientId: 'hand-made', clientSecret: 'pre-registered-secret-value' });
    expect(done.status).toBe(200);
    await expect.poll(() => statusOf(gw, 'secure').status).toBe('running');
    expect(as.log.registrations).toBe(0);
    expect(as.log.tokenRequests).toEqual([expect.objectContaining({ grantType: 'authorization_code', clientId: 'hand-made', verifierChecked: true })]);
    expect(await callWhoami(gw, 'secure')).toBe('protected server');
    const status = (await admin(gw, 'GET', '/admin/auth')).json.servers as Array<Record<string, unknown>>;
    expect(status[0]).toMatchObject({ client: 'pre-registered' });
    await gw.stop();
    expect(await findPlaintext(dataDir, ['pre-registered-secret-value', ...as.issued()])).toEqual([]);
  });

  it('refreshes ahead of expiry, and after a restart from the secret store alone', async () => {
    const as = await fixture({ accessTtlSec: 2 });
    const dataDir = await newDataDir();
    const gw = await startOAuthGateway(dataDir, { secure: { type: 'http', url: as.url } });
    await signIn(gw, 'secure');
    await expect.poll(() => statusOf(gw, 'secure').status).toBe('running');
    // A quarter of the lifetime before expiry, the broker refreshes on its own (and the resource goes along).
    await expect.poll(() => as.log.tokenRequests.filter((r) => r.grantType === 'refresh_token').length, { timeout: 5_000 }).toBeGreaterThanOrEqual(1);
    expect(as.log.tokenRequests.filter((r) => r.grantType === 'refresh_token').every((r) => r.resource === as.url)).toBe(true);
    expect(await callWhoami(gw, 'secure')).toBe('protected server');
    await gw.stop();

    // A new gateway on the same data dir: the tokens come from secrets.enc; the expired access token is refreshed on the 401.
    as.expireAccessTokens();
    const refreshesBefore = as.log.tokenRequests.filter((r) => r.grantType === 'refresh_token').length;
    const again = await startOAuthGateway(dataDir);
    await expect.poll(() => statusOf(again, 'secure').status).toBe('running');
    expect(as.log.tokenRequests.filter((r) => r.grantType === 'refresh_token').length).toBeGreaterThan(refreshesBefore);
    expect(as.log.authorizations).toHaveLength(1);
    expect(await callWhoami(again, 'secure')).toBe('protected server');
  });

  it('goes to needs_auth when a refresh is refused, without retrying in a loop', async () => {
    const as = await fixture();
    const gw = await startOAuthGateway(await newDataDir(), { secure: { type: 'http', url: as.url } });
    await signIn(gw, 'secure');
    await expect.poll(() => statusOf(gw, 'secure').status).toBe('running');
    as.failRefresh(true);
    as.expireAccessTokens();
    const client = await connectClient(`${gw.url}/mcp`);
    await expect(client.callTool({ name: 'secure__whoami', arguments: {} })).rejects.toThrow();
    await client.close().catch(() => undefined);
    await expect.poll(() => statusOf(gw, 'secure').status).toBe('error');
    expect(statusOf(gw, 'secure').reason).toMatch(/^needs_auth: server "secure" could not refresh its token \(the authorization server answered invalid_grant\)/);
    expect(gw.gateway.serverView('secure')!.nextRestartAt).toBeUndefined();
    const refreshes = as.log.tokenRequests.filter((r) => r.grantType === 'refresh_token').length;
    expect(refreshes).toBe(1);
    const status = (await admin(gw, 'GET', '/admin/auth')).json.servers as Array<Record<string, unknown>>;
    expect(status[0]).toMatchObject({ state: 'needs_auth' });

    // Signing in again brings it back.
    as.failRefresh(false);
    expect((await signIn(gw, 'secure')).status).toBe(200);
    await expect.poll(() => statusOf(gw, 'secure').status).toBe('running');
  });

  it('lets two servers sign in at once, each on its own callback path', async () => {
    const [a, b] = await Promise.all([fixture({ label: 'a' }), fixture({ label: 'b' })]);
    const gw = await startOAuthGateway(await newDataDir(), { alpha: { type: 'http', url: a.url }, beta: { type: 'http', url: b.url } });
    const [one, two] = await Promise.all([
      admin(gw, 'POST', '/admin/servers/alpha/auth/login'),
      admin(gw, 'POST', '/admin/servers/beta/auth/login'),
    ]);
    const [ra, rb] = await Promise.all([fetch(String(one.json.url), { redirect: 'manual' }), fetch(String(two.json.url), { redirect: 'manual' })]);
    expect(ra.headers.get('location')).toContain('/oauth/callback/alpha?');
    expect(rb.headers.get('location')).toContain('/oauth/callback/beta?');
    const [ca, cb] = await Promise.all([fetch(rb.headers.get('location')!), fetch(ra.headers.get('location')!)]);
    expect([ca.status, cb.status]).toEqual([200, 200]);
    await expect.poll(() => [statusOf(gw, 'alpha').status, statusOf(gw, 'beta').status]).toEqual(['running', 'running']);
    expect(await callWhoami(gw, 'alpha')).toBe('protected a');
    expect(await callWhoami(gw, 'beta')).toBe('protected b');
  });

  it('signs out with revocation, and keeps every token out of plain files and the audit', async () => {
    const as = await fixture();
    const dataDir = await newDataDir();
    const gw = await startOAuthGateway(dataDir, { secure: { type: 'http', url: as.url } });
    await signIn(gw, 'secure');
    await expect.poll(() => statusOf(gw, 'secure').status).toBe('running');
    expect(await callWhoami(gw, 'secure')).toBe('protected server');
    const perServer = await connectClient(`${gw.url}/servers/secure/mcp`);
    await perServer.callTool({ name: 'whoami', arguments: {} });
    await perServer.close();
    await expect.poll(async () => (await gw.audit.query({ limit: 100 })).items.length).toBeGreaterThan(2);
    const recorded = JSON.stringify((await gw.audit.query({ limit: 1000 })).items);
    for (const token of as.issued()) expect(recorded).not.toContain(token);

    const out = await admin(gw, 'POST', '/admin/servers/secure/auth/logout');
    expect(out.json).toMatchObject({ server: 'secure', revoked: true, hadTokens: true });
    expect(as.log.revoked).toHaveLength(2);
    await expect.poll(() => statusOf(gw, 'secure').reason ?? '').toMatch(/^needs_auth: server "secure" is signed out/);
    await gw.stop();

    const tokens = as.issued();
    expect(tokens.length).toBeGreaterThan(2);
    expect(await findPlaintext(dataDir, tokens)).toEqual([]);
  });

  it('gatehouse auth login, status and logout talk to the running gateway', async () => {
    const as = await fixture();
    const gw = await startOAuthGateway(await newDataDir(), { secure: { type: 'http', url: as.url } });
    const run = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
      let out = '';
      let err = '';
      const code = await runAuthCommand([...argv, '--url', gw.url], {
        stdout: (t) => void (out += t),
        stderr: (t) => void (err += t),
        readStdin: () => Promise.resolve(''),
        env: {},
      });
      return { code, out, err };
    };
    const login = await run('login', 'secure');
    expect(login.code).toBe(0);
    const url = /^\s+(http\S+)$/m.exec(login.out)?.[1];
    expect(url).toContain(`${as.issuer}/authorize?`);
    const redirect = await fetch(url!, { redirect: 'manual' });
    expect((await fetch(redirect.headers.get('location')!)).status).toBe(200);
    await expect.poll(() => statusOf(gw, 'secure').status).toBe('running');
    const status = await run('status');
    expect(status.out).toMatch(/^secure\s+signed_in/m);
    for (const token of as.issued()) expect(status.out).not.toContain(token);
    const logout = await run('logout', 'secure');
    expect(logout.out).toBe('Signed out of secure (tokens revoked).\n');
    expect((await run('login', 'nope')).err).toContain('no server named "nope"');
  });
});
