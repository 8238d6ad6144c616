/**
 * Every limit settable from the registry's settings through the admin API (issue 16): shown
 * with its value, default and source, validated with a message naming the field, applied live
 * or at the next start as it says, and `serve` flags winning over the settings.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewaySettings, LimitSetting } from '../../shared/control-api.js';
import { nullLogger } from '../../main/core/base/logger.js';
import { openGatewayHost, type GatewayHost } from '../../main/core/gateway-host.js';
import { openHeadlessSecretStore } from '../../main/core/security/headless-secrets.js';
import { DEFAULT_LIMITS, limitKeys } from '../../main/core/security/limits.js';
import { bearer, startGateway, type RunningGateway } from './harness.js';

const running: RunningGateway[] = [];
const hosts: GatewayHost[] = [];

afterEach(async () => {
  await Promise.allSettled(hosts.splice(0).map((h) => h.close()));
  await Promise.allSettled(running.splice(0).map((g) => g.stop()));
});

async function start(options: Parameters<typeof startGateway>[1] = {}): Promise<RunningGateway> {
  const gw = await startGateway({}, options);
  running.push(gw);
  return gw;
}

async function settings(gw: RunningGateway, adminFetch = gw.admin): Promise<Map<string, LimitSetting>> {
  const res = await adminFetch('/admin/settings');
  expect(res.status).toBe(200);
  const body = (await res.json()) as GatewaySettings;
  return new Map(body.limits.map((l) => [l.key, l]));
}

function put(gw: RunningGateway, limits: Record<string, unknown>): Promise<Response> {
  return gw.admin('/admin/settings', { method: 'PUT', body: JSON.stringify({ limits }) });
}

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

function initialize(url: string, token: string): Promise<Response> {
  return fetch(`${url}/mcp`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: INITIALIZE });
}

describe('limits in the settings', () => {
  it('lists every limit with its value, default, source and when a change applies', async () => {
    const gw = await start();
    const limits = await settings(gw);
    expect([...limits.keys()]).toEqual(limitKeys());
    for (const key of limitKeys()) {
      expect(limits.get(key)).toMatchObject({ value: DEFAULT_LIMITS[key], configured: DEFAULT_LIMITS[key], default: DEFAULT_LIMITS[key], source: 'default' });
      expect(limits.get(key)!.title).not.toBe('');
    }
    expect(limits.get('ratePerSecond')).toMatchObject({ applies: 'live', unit: 'per-second' });
    expect(limits.get('maxSessions')).toMatchObject({ applies: 'restart', unit: 'count' });
    // Settings are the admin's: a client token gets 403.
    expect((await fetch(`${gw.url}/admin/settings`, { headers: bearer(gw.clientToken!) })).status).toBe(403);
  });

  it('refuses bad values with 400 naming each field, and saves nothing', async () => {
    const gw = await start();
    const res = await put(gw, { maxSessions: 0, ratePerSecond: 'fast', rateBrust: 3, rateBurst: 10 });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'invalid settings',
      details: [
        'limits.maxSessions: must be a whole number of at least 1, not 0',
        'limits.ratePerSecond: must be a number above 0 and up to 1000000, not "fast"',
        expect.stringMatching(/^limits\.rateBrust: no such limit/),
      ],
    });
    expect((await settings(gw)).get('rateBurst')).toMatchObject({ value: DEFAULT_LIMITS.rateBurst, source: 'default' });
    expect(gw.registry.settings().limits).toEqual({});
  });

  it('applies a live limit at once and keeps a restart limit for the next start, which applies it', async () => {
    const gw = await start();
    const res = await put(gw, { rateBurst: 2, ratePerSecond: 0.01, maxSessions: 1 });
    expect(res.status).toBe(200);
    const answered = new Map(((await res.json()) as GatewaySettings).limits.map((l) => [l.key, l]));
    expect(answered.get('rateBurst')).toMatchObject({ value: 2, configured: 2, saved: 2, source: 'settings' });
    expect(answered.get('maxSessions')).toMatchObject({ value: DEFAULT_LIMITS.maxSessions, configured: 1, saved: 1, source: 'settings' });
    expect(JSON.parse(await readFile(path.join(gw.dataDir, 'registry.json'), 'utf8')).settings.limits).toEqual({ rateBurst: 2, ratePerSecond: 0.01, maxSessions: 1 });

    // The burst of 2 holds now; two sessions may still open (maxSessions waits for a restart).
    const token = await gw.createToken('laptop');
    expect((await initialize(gw.url, token.secret)).status).toBe(200);
    expect((await initialize(gw.url, token.secret)).status).toBe(200);
    expect((await initialize(gw.url, token.secret)).status).toBe(429);

    // Back to the default with null: at once for a live limit.
    expect((await put(gw, { rateBurst: null, ratePerSecond: null })).status).toBe(200);
    expect((await settings(gw)).get('rateBurst')).toMatchObject({ value: DEFAULT_LIMITS.rateBurst, source: 'default' });
    expect((await initialize(gw.url, token.secret)).status).not.toBe(429);

    // The next start on the same data dir, opened as `serve` opens it, applies maxSessions.
    await gw.host.close();
    const secrets = await openHeadlessSecretStore({ dataDir: gw.dataDir, keyring: 'none' });
    const host = await openGatewayHost({ dataDir: gw.dataDir, host: '127.0.0.1', port: 0, logger: nullLogger, env: {}, secrets: secrets.store });
    hosts.push(host);
    const { url } = await host.gateway.start();
    const again = await settings(gw, (p, init = {}) => fetch(`${url}${p}`, { ...init, headers: { ...bearer(gw.adminToken), 'content-type': 'application/json' } }));
    expect(again.get('maxSessions')).toMatchObject({ value: 1, configured: 1, source: 'settings' });
    expect((await initialize(url, token.secret)).status).toBe(200);
    const refused = await initialize(url, token.secret);
    expect(refused.status).toBe(503);
    expect(JSON.stringify(await refused.json())).toMatch(/the limit is 1\b/);
    await host.close();
    await rm(gw.dataDir, { recursive: true, force: true });
  });

  it('lets serve flags win over the settings, and says so', async () => {
    const gw = await start({ limits: { rateBurst: 3, ratePerSecond: 0.01 } });
    expect((await put(gw, { rateBurst: 50 })).status).toBe(200);
    expect((await settings(gw)).get('rateBurst')).toMatchObject({ value: 3, configured: 3, saved: 50, source: 'flag' });
    const token = await gw.createToken('laptop');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await initialize(gw.url, token.secret)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
