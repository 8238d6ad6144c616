/**
 * The admin endpoints behind the control UI's newer screens, on a gateway opened the way
 * `gatehouse serve` opens it (the harness: openGatewayHost with token, approval, secret and
 * audit stores, default limits) with real servers from npm: trying a tool, filtered figures, secrets' uses, server
 * targets, and installing a client's entry. The client files live in a temporary home folder
 * (the one thing wired differently from serve, which edits the real user's files).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientChangePreview, ClientInstallAnswer, ClientInstallStatus, ServerDetail, ServerStats, ServerView, SecretsView, ToolCallAnswer } from '../../shared/control-api.js';
import { UI_CLIENT_NAME } from '../../shared/tool-call.js';
import { clientPool, SERVERS, startGateway, type RunningGateway } from './harness.js';

const BACKEND_KEY = 'sk-live-0123456789abcdefXYZ';

describe('admin API for the control UI', { timeout: 60_000 }, () => {
  let gw: RunningGateway;
  let url: string;
  let home: string;
  const pool = clientPool();
  const admin = (p: string, init: RequestInit = {}): Promise<Response> => gw.admin(p, init);
  const post = (p: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> => admin(p, { method: 'POST', body: JSON.stringify(body), headers });

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'gatehouse-ui-home-'));
    // As `serve --config` does (the harness): credentials move to the secret store, the servers count as approved.
    gw = await startGateway(
      {
        everything: { command: 'node', args: [SERVERS.everything, 'stdio', '--api-key', BACKEND_KEY], toolFilter: { block: ['echo'] } },
        remote: { type: 'http', url: 'https://user:hunter22@example.invalid/mcp?api_key=abcdef123456&team=blue', headers: { Authorization: `Bearer ${BACKEND_KEY}` }, enabled: false },
      },
      {
        startTimeoutMs: 20_000,
        clientInstall: { installEnv: { home, platform: 'linux', env: {} }, bridgeCommand: { command: '/usr/bin/node', args: ['/opt/gatehouse/cli.js'] } },
      },
    );
    url = gw.url;
  }, 60_000);

  afterAll(async () => {
    await pool.closeAll();
    await gw?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('calls a tool as the admin through the aggregate, with its audit entry named for the UI', async () => {
    const res = await post('/admin/tools/call', { server: 'everything', tool: 'get-sum', arguments: { a: 2, b: 40 } });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as ToolCallAnswer;
    expect(answer.ok).toBe(true);
    if (!answer.ok) return;
    expect(answer.result.content[0]?.text).toContain('42');
    expect(answer.audit).toMatchObject({
      kind: 'request',
      way: 'aggregate',
      method: 'tools/call',
      server: 'everything',
      target: 'get-sum',
      outcome: 'ok',
      args: { a: 2, b: 40 },
      client: { tokenName: 'admin', name: UI_CLIENT_NAME, ip: '127.0.0.1' },
    });
    // The same entry is on the timeline, found by the UI's client name.
    const page = (await (await admin(`/admin/audit?client=${UI_CLIENT_NAME}&method=tools/call`)).json()) as { items: Array<{ id: string }> };
    expect(page.items.map((e) => e.id)).toContain(answer.audit!.id);

    // Images and structured content come back as the tool sent them.
    const image = (await (await post('/admin/tools/call', { server: 'everything', tool: 'get-tiny-image' })).json()) as ToolCallAnswer;
    expect(image.ok && image.result.content.some((c) => c.type === 'image' && c.mimeType === 'image/png' && typeof c.data === 'string')).toBe(true);
    const weather = (await (await post('/admin/tools/call', { server: 'everything', tool: 'get-structured-content', arguments: { location: 'Chicago' } })).json()) as ToolCallAnswer;
    expect(weather.ok && weather.result.structuredContent).toMatchObject({ temperature: 36 });
  });

  it('takes the same access path as a client: a filtered tool is refused and audited as such', async () => {
    const answer = (await (await post('/admin/tools/call', { server: 'everything', tool: 'echo', arguments: { message: 'hi' } })).json()) as ToolCallAnswer;
    expect(answer.ok ? answer.result.isError : true).toBe(true);
    expect(JSON.stringify(answer)).toContain('disabled');
    expect(answer.audit).toMatchObject({ target: 'echo', outcome: 'filtered', client: { name: UI_CLIENT_NAME } });

    // A backend's own error is the tool's answer, not a failed request.
    const bad = (await (await post('/admin/tools/call', { server: 'everything', tool: 'get-sum', arguments: { a: 'two' } })).json()) as ToolCallAnswer;
    expect(bad.ok ? bad.result.isError : bad.error.message).toBeTruthy();
    expect(bad.audit?.outcome).not.toBe('ok');
  });

  it('refuses a call it cannot make, naming what is wrong', async () => {
    const invalid = await post('/admin/tools/call', { server: 'everything', tool: 'get-sum', arguments: [1, 2], timeoutMs: -5, extra: true });
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as { error: string; details: string[] };
    expect(body.error).toBe('invalid tool call');
    expect(body.details.join('\n')).toMatch(/^arguments: /m);
    expect(body.details.join('\n')).toMatch(/^timeoutMs: must be at least 1 ms$/m);
    expect(body.details.join('\n')).toMatch(/extra/);

    const unknownTool = await post('/admin/tools/call', { server: 'everything', tool: 'get-summ' });
    expect(unknownTool.status).toBe(404);
    expect((await unknownTool.json()).error).toBe('server "everything" has no tool "get-summ" (did you mean "get-sum"?)');
    const unknownServer = await post('/admin/tools/call', { server: 'everythin', tool: 'echo' });
    expect((await unknownServer.json()).error).toBe('unknown server "everythin" (did you mean "everything"?)');
    const stopped = await post('/admin/tools/call', { server: 'remote', tool: 'x' });
    expect(stopped.status).toBe(409);
    expect((await stopped.json()).error).toMatch(/^server "remote" is disabled/);

    // A client token does not open it.
    const client = await gw.tokens.create('ui-api-client', 'client', { servers: '*' });
    const refused = await fetch(`${url}/admin/tools/call`, {
      method: 'POST',
      headers: { authorization: `Bearer ${client.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ server: 'everything', tool: 'get-sum' }),
    });
    expect(refused.status).toBe(403);
  });

  it('answers figures over a filter, with the latest failure per server', async () => {
    const stats = (await (await admin('/admin/stats?since=1h&server=everything')).json()) as { servers: ServerStats[] };
    expect(stats.servers.map((s) => s.server)).toEqual(['everything']);
    const [everything] = stats.servers;
    expect(everything!.calls).toBeGreaterThanOrEqual(4);
    expect(everything!.errors).toBeGreaterThanOrEqual(2);
    expect(everything!.lastError).toMatchObject({ time: expect.any(Number), message: expect.any(String) });
    const none = (await (await admin('/admin/stats?since=1h&server=remote')).json()) as { servers: ServerStats[] };
    expect(none.servers).toEqual([]);
  });

  it('says what each server is, credentials masked, and which secrets its values use', async () => {
    const { servers } = (await (await admin('/admin/servers')).json()) as { servers: ServerView[] };
    const byName = Object.fromEntries(servers.map((s) => [s.name, s]));
    expect(byName.everything!.target).toBe(`node ${SERVERS.everything} stdio --api-key ••••`);
    expect(byName.remote!.target).toBe('https://user:••••@example.invalid/mcp?api_key=••••&team=blue');
    expect(JSON.stringify(servers)).not.toContain(BACKEND_KEY);

    const detail = (await (await admin('/admin/servers/remote')).json()) as ServerDetail;
    expect(detail.config.headers).toEqual({ Authorization: '[REDACTED]' });
    expect(detail.secretRefs).toEqual({ Authorization: ['remote-authorization'] });

    const secrets = (await (await admin('/admin/secrets')).json()) as SecretsView;
    expect(secrets.secrets.find((s) => s.name === 'remote-authorization')).toMatchObject({
      usedBy: ['remote'],
      uses: [{ server: 'remote', field: 'headers.Authorization', scheme: 'Bearer' }],
    });
    expect(JSON.stringify(secrets)).not.toContain(BACKEND_KEY);
  });

  it('installs a client entry after a masked preview, and removes it again', async () => {
    const cursorFile = path.join(home, '.cursor', 'mcp.json');
    await writeFile(path.join(home, 'placeholder'), '');
    const status = (await (await admin('/admin/clients/cursor/install')).json()) as ClientInstallStatus;
    expect(status).toMatchObject({ client: 'cursor', local: true, installable: true, installed: false, file: cursorFile, entryName: 'gatehouse', tokenName: 'client:cursor' });

    const preview = (await (await post('/admin/clients/cursor/preview', { action: 'install' })).json()) as ClientChangePreview;
    expect(preview).toMatchObject({ file: cursorFile, exists: false, changed: true, replaces: false });
    expect(preview.diff).toContain(`+      "url": "${url}/mcp"`);
    expect(preview.tokenNote).toContain('client:cursor');

    // A file changed since the preview is not overwritten unseen.
    await import('node:fs/promises').then((fs) => fs.mkdir(path.dirname(cursorFile), { recursive: true }));
    await writeFile(cursorFile, JSON.stringify({ mcpServers: { other: { url: 'https://x.invalid/mcp', headers: { 'X-Api-Key': 'other-secret-value' } } } }, null, 2));
    const stale = await post('/admin/clients/cursor/install', { fingerprint: preview.fingerprint });
    expect(stale.status).toBe(409);
    expect((await stale.json()).error).toContain('changed since the preview');

    const again = (await (await post('/admin/clients/cursor/preview', { action: 'install' })).json()) as ClientChangePreview;
    expect(again.exists).toBe(true);
    // Context lines come from the user's file: another server's key there is masked.
    expect(again.diff).not.toContain('other-secret-value');
    const installed = (await (await post('/admin/clients/cursor/install', { fingerprint: again.fingerprint })).json()) as ClientInstallAnswer;
    expect(installed).toMatchObject({ status: 'installed', file: cursorFile, created: false, tokenName: 'client:cursor', tokenEnvVar: 'GATEHOUSE_TOKEN' });
    if (installed.status !== 'installed') return;
    expect(installed.backup).toMatch(/mcp\.json\.backup-/);
    expect(installed.secret).toMatch(/^gth_/);
    const written = JSON.parse(await readFile(cursorFile, 'utf8')) as { mcpServers: Record<string, { url: string }> };
    expect(Object.keys(written.mcpServers).sort()).toEqual(['gatehouse', 'other']);
    expect(written.mcpServers.gatehouse!.url).toBe(`${url}/mcp`);
    // The new token works on the endpoint the entry names.
    const viaToken = await pool.connect(`${url}/mcp`, { headers: { authorization: `Bearer ${installed.secret}` } });
    expect((await viaToken.listTools()).tools.length).toBeGreaterThan(0);
    expect(((await (await admin('/admin/clients/cursor/install')).json()) as ClientInstallStatus).installed).toBe(true);

    const removal = (await (await post('/admin/clients/cursor/preview', { action: 'remove' })).json()) as ClientChangePreview;
    expect(removal.diff).toContain('-    "gatehouse": {');
    const removed = await post('/admin/clients/cursor/remove', { fingerprint: removal.fingerprint });
    expect(await removed.json()).toMatchObject({ file: cursorFile, removed: true, revokedTokens: 1 });
    expect(Object.keys((JSON.parse(await readFile(cursorFile, 'utf8')) as { mcpServers: object }).mcpServers)).toEqual(['other']);
    expect(gw.tokens.list().some((t) => t.name === 'client:cursor')).toBe(false);
  });

  it('keeps a token the client file holds out of the answer, and refuses writes from another machine', async () => {
    const claude = (await (await post('/admin/clients/claude-desktop/install', { server: 'everything' })).json()) as ClientInstallAnswer;
    expect(claude).toMatchObject({ status: 'installed', tokenName: 'client:claude-desktop:gatehouse-everything' });
    expect('secret' in claude).toBe(false);
    const file = JSON.parse(await readFile(path.join(home, '.config/Claude/claude_desktop_config.json'), 'utf8')) as { mcpServers: Record<string, { command: string; args: string[] }> };
    expect(file.mcpServers['gatehouse-everything']).toMatchObject({ command: '/usr/bin/node', args: ['/opt/gatehouse/cli.js', 'bridge', '--url', `${url}/servers/everything/mcp`] });

    const proxied = await post('/admin/clients/cursor/install', {}, { 'x-forwarded-for': '203.0.113.7' });
    expect(proxied.status).toBe(403);
    expect((await proxied.json()).error).toMatch(/another computer than this browser.*proxy/);
    const status = (await (await admin('/admin/clients/cursor/install', { headers: { 'x-forwarded-for': '203.0.113.7' } })).json()) as ClientInstallStatus;
    expect(status).toMatchObject({ local: false, reason: expect.stringContaining('copy the snippet instead') });

    expect((await (await admin('/admin/clients/cursr/install')).json()).error).toBe('unknown client "cursr" (did you mean "cursor"?)');
    const badServer = await post('/admin/clients/cursor/preview', { action: 'instal', server: 'nope' });
    expect(badServer.status).toBe(400);
    expect(((await badServer.json()) as { details: string[] }).details[0]).toMatch(/^action: /);
    const unknownServer = await post('/admin/clients/cursor/preview', { action: 'install', server: 'everythin' });
    expect(((await unknownServer.json()) as { details: string[] }).details).toEqual(['server: unknown server "everythin" (did you mean "everything"?)']);
    const snippetOnly = await post('/admin/clients/claude-ai/install', {});
    expect(snippetOnly.status).toBe(400);
  });
});
