import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_SERVER, startGateway, type RunningGateway } from './harness.js';

const ADMIN = 'admin-token-for-ui-tests';

/** A raw GET with exactly these headers (fetch would add or refuse some). */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('control UI serving', () => {
  let gw: RunningGateway;
  let uiDir: string;

  beforeAll(async () => {
    uiDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-ui-static-'));
    await mkdir(path.join(uiDir, 'assets'));
    await writeFile(path.join(uiDir, 'index.html'), '<!doctype html><script type="module" src="./assets/app.js"></script>');
    await writeFile(path.join(uiDir, 'assets/app.js'), 'console.log(1)');
    await writeFile(path.join(uiDir, 'secret.txt'), 'not served');
    gw = await startGateway(
      { one: { command: 'node', args: [FIXTURE_SERVER], env: { FIXTURE_LABEL: 'keep-me' }, toolFilter: { block: ['x'] } } },
      { adminToken: ADMIN, uiDir },
    );
  });
  afterAll(async () => {
    await gw?.stop();
    await rm(uiDir, { recursive: true, force: true });
  });

  it('serves index.html and assets without a token, with a strict CSP', async () => {
    const host = new URL(gw.url).host;
    const page = await get(`${gw.url}/`, { host });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    // Module scripts are fetched in CORS mode: the page's own Origin must pass, others not.
    const asset = await get(`${gw.url}/assets/app.js`, { host, origin: gw.url });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await get(`${gw.url}/assets/app.js`, { host, origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(`${gw.url}/`, { host: 'evil.example' })).status).toBe(403);
    for (const p of ['/assets/../secret.txt', '/assets/%2e%2e%2fsecret.txt', '/assets/sub/app.js', '/secret.txt']) {
      expect((await get(`${gw.url}${p}`, { host })).status, p).toBe(404);
    }
    // The API behind it still needs the admin token, also from the page's origin.
    expect((await get(`${gw.url}/admin/servers`, { host, origin: gw.url })).status).toBe(401);
    expect((await get(`${gw.url}/admin/servers`, { host, origin: gw.url, authorization: `Bearer ${ADMIN}` })).status).toBe(200);
  });

  it('says the UI is not built when there is no index.html', async () => {
    const other = await startGateway({}, { adminToken: ADMIN, uiDir: path.join(uiDir, 'missing') });
    const res = await get(`${other.url}/`, { host: new URL(other.url).host });
    await other.stop();
    expect(res.status).toBe(404);
    expect(res.body).toContain('the control UI is not built');
  });

  it('keeps env and header values that an edit sends back as [REDACTED]', async () => {
    const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
    const shown = (await (await fetch(`${gw.url}/admin/servers/one`, { headers: admin })).json()) as { config: Record<string, unknown> };
    // FIXTURE_LABEL is no credential, so serve left it in the registry; the view hides it all the same.
    expect(shown.config['env']).toEqual({ FIXTURE_LABEL: '[REDACTED]' });
    const res = await fetch(`${gw.url}/admin/servers/one`, { method: 'PUT', headers: admin, body: JSON.stringify({ ...shown.config, toolFilter: { block: ['y'] } }) });
    expect(res.status).toBe(200);
    expect(gw.gateway.serverConfig('one')).toMatchObject({ env: { FIXTURE_LABEL: 'keep-me' }, toolFilter: { block: ['y'] } });
  });
});
