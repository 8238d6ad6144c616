import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayInfo } from '../../shared/control-api.js';
import { UnavailableSecretStore } from '../../main/core/security/unavailable-secret-store.js';
import { packageVersion } from '../../main/core/version.js';
import { FIXTURE_SERVER, startGateway, type RunningGateway } from './harness.js';

const ADMIN = 'admin-token-for-tests';
const CLIENT = 'client-token-for-tests';

describe('admin API and request guards', () => {
  let gw: RunningGateway;
  const admin = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${gw.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
    });

  beforeAll(async () => {
    gw = await startGateway(
      {
        one: { command: 'node', args: [FIXTURE_SERVER], env: { FIXTURE_LABEL: 'one', API_KEY: 'do-not-show' } },
        remote: { type: 'http', url: 'http://127.0.0.1:9/mcp', headers: { Authorization: 'Bearer backend-secret' }, enabled: false },
      },
      { adminToken: ADMIN, clientToken: CLIENT, startTimeoutMs: 1500 },
    );
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('lists servers with status, transport, pid and tool count', async () => {
    const res = await admin('/admin/servers');
    expect(res.status).toBe(200);
    const { servers } = (await res.json()) as { servers: Array<Record<string, unknown>> };
    expect(servers.map((s) => s.name)).toEqual(['one', 'remote']);
    expect(servers[0]).toMatchObject({ name: 'one', transport: 'stdio', status: 'running', enabled: true });
    expect(servers[0]!.pid).toEqual(expect.any(Number));
    expect(servers[0]!.toolCount).toBeGreaterThan(0);
    expect(servers[1]).toMatchObject({ name: 'remote', transport: 'streamable-http', status: 'disabled', enabled: false });
  });

  it('shows one server with its config, hiding env and header values', async () => {
    const res = await admin('/admin/servers/remote');
    const body = JSON.stringify(await res.json());
    expect(body).toContain('"Authorization":"[REDACTED]"');
    expect(body).not.toContain('backend-secret');
    const one = JSON.stringify(await (await admin('/admin/servers/one')).json());
    expect(one).not.toContain('do-not-show');
  });

  it('refuses an invalid server definition with one message per problem', async () => {
    const res = await admin('/admin/servers', { method: 'POST', body: JSON.stringify({ name: 'bad', url: 'not a url', args: 'x' }) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; details: string[] };
    expect(body.details.length).toBeGreaterThan(0);
    expect(body.details.every((d) => d.startsWith('server "bad"'))).toBe(true);
    expect((await admin('/admin/servers', { method: 'POST', body: '{"name": "one", "command": "node"}' })).status).toBe(409);
    expect((await admin('/admin/servers', { method: 'POST', body: '{oops' })).status).toBe(400);
  });

  it('adds, stops, starts, restarts and removes a server', async () => {
    const added = await admin('/admin/servers', {
      method: 'POST',
      body: JSON.stringify({ name: 'two', command: 'node', args: [FIXTURE_SERVER], env: { FIXTURE_LABEL: 'two' } }),
    });
    expect(added.status).toBe(201);
    // A stdio server added through the API waits for the user's approval of its launch.
    expect(await added.json()).toMatchObject({ name: 'two', status: 'stopped', approval: 'pending' });
    expect(await gw.approveServer('two')).toMatchObject({ name: 'two', status: 'running' });
    const stopped = await admin('/admin/servers/two/stop', { method: 'POST' });
    expect(await stopped.json()).toMatchObject({ status: 'stopped', reason: 'stopped by user' });
    const refused = await fetch(`${gw.url}/servers/two/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe('server "two" is stopped');
    const started = (await (await admin('/admin/servers/two/start', { method: 'POST' })).json()) as { status: string; pid: number };
    expect(started.status).toBe('running');
    const restarted = (await (await admin('/admin/servers/two/restart', { method: 'POST' })).json()) as { pid: number };
    expect(restarted.pid).not.toBe(started.pid);
    expect((await admin('/admin/servers/two', { method: 'DELETE' })).status).toBe(200);
    expect((await admin('/admin/servers/two')).status).toBe(404);
    expect((await admin('/admin/servers/two/start', { method: 'POST' })).status).toBe(404);
  });

  it('reports a server that fails to start through the API, with its stderr', async () => {
    const res = await admin('/admin/servers/crashy', {
      method: 'PUT',
      body: JSON.stringify({ command: 'node', args: [FIXTURE_SERVER, '--crash-on-start'] }),
    });
    expect(res.status).toBe(201);
    const view = (await gw.approveServer('crashy')) as { status: string; lastError: string };
    expect(view.status).toBe('error');
    expect(view.lastError).toContain('permission denied');
    const logs = (await (await admin('/admin/servers/crashy/logs')).json()) as { stderr: string[] };
    expect(logs.stderr.join('\n')).toContain('cannot open database');
    await admin('/admin/servers/crashy', { method: 'DELETE' });
  });

  it('gives up on a server that never answers, with a reason, and kills it', async () => {
    const res = await admin('/admin/servers/hung', {
      method: 'PUT',
      body: JSON.stringify({ command: 'node', args: [FIXTURE_SERVER, '--hang-on-start'] }),
    });
    expect(res.status).toBe(201);
    const view = (await gw.approveServer('hung')) as { status: string; lastError: string };
    expect(view).toMatchObject({ status: 'error', lastError: expect.stringContaining('did not finish within 1500 ms') });
    expect(gw.gateway.serverView('hung')?.pid).toBeUndefined();
    await admin('/admin/servers/hung', { method: 'DELETE' });
  });

  it('lists every tool with its exposed name and whether the filter lets it through', async () => {
    const { tools } = (await (await admin('/admin/tools')).json()) as { tools: Array<Record<string, unknown>> };
    expect(tools).toContainEqual(expect.objectContaining({ server: 'one', name: 'whoami', exposedName: 'one__whoami', enabled: true }));
  });

  it('takes only the admin token (a client token gets 403)', async () => {
    expect((await fetch(`${gw.url}/admin/servers`)).status).toBe(401);
    expect((await fetch(`${gw.url}/admin/servers`, { headers: { authorization: `Bearer ${CLIENT}` } })).status).toBe(403);
    expect((await fetch(`${gw.url}/admin/servers`, { headers: { 'x-api-key': ADMIN } })).status).toBe(200);
  });

  it('refuses a foreign Host header and a foreign Origin (DNS rebinding)', async () => {
    const status = (headers: Record<string, string>): Promise<number> =>
      new Promise((resolve, reject) => {
        const url = new URL(`${gw.url}/healthz`);
        const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await status({ host: `localhost:${new URL(gw.url).port}` })).toBe(200);
    expect(await status({ host: 'attacker.example' })).toBe(403);
    expect(await status({ host: `localhost:${new URL(gw.url).port}`, origin: 'https://attacker.example' })).toBe(403);
  });

  it('says what runs and where secrets are kept (GET /admin/info)', async () => {
    const res = await admin('/admin/info');
    expect(res.status).toBe(200);
    // As serve opens it: the encrypted file, its key in a plain file (no keyring here), and it says so.
    expect(await res.json()).toEqual({
      version: await packageVersion(),
      dataDir: gw.dataDir,
      desktop: false,
      secretStore: { kind: 'key-file', message: expect.stringContaining('secrets') },
    });
    expect((await admin('/admin/info', { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${gw.url}/admin/info`, { headers: { authorization: `Bearer ${CLIENT}` } })).status).toBe(403);
  });

  it('answers unknown paths with the list of endpoints', async () => {
    const res = await fetch(`${gw.url}/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toContain('/servers/<name>/mcp');
  });
});

describe('admin API over a secret store that cannot hold secrets', () => {
  const REASON = 'Electron reports no keyring on this system (basic_text), so safeStorage would not protect secrets.';
  let gw: RunningGateway;
  const admin = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${gw.url}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' } });

  beforeAll(async () => {
    gw = await startGateway(
      { keyed: { command: 'node', args: [FIXTURE_SERVER], env: { FIXTURE_LABEL: '${secret:label}' } } },
      {
        adminToken: ADMIN,
        secretStore: new UnavailableSecretStore(REASON),
        desktop: true,
        secretStoreStatus: () => ({ kind: 'unavailable', message: REASON, canChooseEncryptedFile: true }),
      },
    );
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('reports the store as unavailable, with why, in GET /admin/info', async () => {
    const info = (await (await admin('/admin/info')).json()) as GatewayInfo;
    expect(info).toMatchObject({ desktop: true, secretStore: { kind: 'unavailable', message: REASON, canChooseEncryptedFile: true } });
  });

  it('answers PUT and DELETE of a secret with 503 and the reason, not a 500', async () => {
    const put = await admin('/admin/secrets/label', { method: 'PUT', body: JSON.stringify({ value: 'one' }) });
    expect(put.status).toBe(503);
    expect(((await put.json()) as { error: string }).error).toBe(`No secret can be stored: ${REASON} See "Secret store" in Settings.`);
    expect((await admin('/admin/secrets/label', { method: 'DELETE' })).status).toBe(503);
    expect(await (await admin('/admin/secrets')).json()).toEqual({
      secrets: [],
      missing: [{ name: 'label', usedBy: ['keyed'], uses: [{ server: 'keyed', field: 'env.FIXTURE_LABEL' }] }],
    });
  });

  it('fails a server that refers to a secret with that reason, without a restart loop', async () => {
    const view = gw.gateway.serverView('keyed')!;
    expect(view.status).toBe('error');
    expect(view.reason).toBe(`server "keyed": env.FIXTURE_LABEL refers to secret "label", but no secret can be stored: ${REASON}`);
    expect(view.nextRestartAt).toBeUndefined();
  });
});
