/**
 * The per-server pass-through as a client meets it: `/servers/<name>/mcp` and
 * `/servers/<name>/sse` of a gateway built as `gatehouse serve` builds it (real client tokens,
 * default limits but a short call timeout), in front of HTTP backends of both transports and
 * both answer framings. Every exchange is checked on the audit timeline too.
 */
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEverythingHttp, type RunningBackend } from '../fixtures/backends.js';
import { startLooseHttp, type LooseHttpBackend } from '../fixtures/loose-server.mjs';
import { auditEvents, requestEvent } from '../support/audit-events.js';
import { initializeBody as initialize, MCP_HEADERS, toolCallBody as call } from '../support/raw-mcp.js';
import { openRawSse } from '../support/raw-sse.js';
import { bearer, clientPool, startGateway, text, type RunningGateway } from './harness.js';

const CALL_TIMEOUT_MS = 1_000;
const TIMEOUT_MESSAGE = `server "loose" did not answer tools/call within ${CALL_TIMEOUT_MS} ms`;
const pool = clientPool();

afterEach(async () => {
  await pool.closeAll();
});

/** A gateway in front of one loose backend named `loose`, whose `Secret_Tool` is blocked. */
async function gatewayFor(backend: LooseHttpBackend, type: 'http' | 'sse'): Promise<RunningGateway> {
  return startGateway(
    { loose: { type, url: backend.url, toolFilter: { block: ['Secret_Tool'] } } },
    { limits: { toolCallTimeoutMs: CALL_TIMEOUT_MS } },
  );
}

describe.each([
  { framing: 'json' as const, title: 'answering JSON' },
  { framing: 'sse' as const, title: 'answering SSE-framed' },
])('pass-through to a streamable HTTP backend $title', ({ framing }) => {
  let backend: LooseHttpBackend;
  let gw: RunningGateway;
  let url: string;

  beforeAll(async () => {
    backend = await startLooseHttp({ framing });
    gw = await gatewayFor(backend, 'http');
    url = `${gw.url}/servers/loose/mcp`;
  });
  afterAll(async () => {
    await gw?.stop();
    await backend?.stop();
  });

  it('lists and calls tools, refuses the filtered one, and audits each exchange as the client got it', async () => {
    const calls = backend.calls.length;
    const client = await pool.connect(url);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['echo', 'whoami', 'fail', 'never_returns']);
    expect(text(await client.callTool({ name: 'echo', arguments: { message: 'hi' } }))).toBe(`${framing}: hi`);
    expect(await client.callTool({ name: 'Secret_Tool', arguments: {} })).toMatchObject({ isError: true, _meta: { 'io.gatehouse/outcome': 'filtered' } });
    expect(text(await client.callTool({ name: 'fail', arguments: {} }))).toBe('the tool failed on purpose');
    expect(backend.calls.slice(calls)).toEqual(['echo', 'fail']);

    const audit = gw.audit;
    expect(await requestEvent(audit, 'loose', 'initialize')).toMatchObject({ outcome: 'ok', httpStatus: 200, way: 'per-server', client: { tokenName: 'test-client' } });
    expect(await requestEvent(audit, 'loose', 'tools/list')).toMatchObject({ outcome: 'ok', httpStatus: 200 });
    const echo = await requestEvent(audit, 'loose', 'tools/call', 'echo');
    expect(echo).toMatchObject({ outcome: 'ok', httpStatus: 200, args: { message: 'hi' } });
    expect(echo.preview).toContain(`${framing}: hi`);
    expect(await requestEvent(audit, 'loose', 'tools/call', 'fail')).toMatchObject({ outcome: 'tool_error', httpStatus: 200 });
    // Answered by the gateway, never sent: no backend status.
    const filtered = await requestEvent(audit, 'loose', 'tools/call', 'Secret_Tool');
    expect(filtered.outcome).toBe('filtered');
    expect(filtered.httpStatus).toBeUndefined();
    const [initialized] = await auditEvents(audit, (e) => e.kind === 'notification' && e.method === 'notifications/initialized' && e.server === 'loose');
    expect(initialized).toMatchObject({ httpStatus: 202, way: 'per-server' });
  });

  it('answers another token 404 on every method of a session it did not open, and the owner goes on', async () => {
    const owner = await pool.connect(url);
    const sessionId = (owner.transport as StreamableHTTPClientTransport).sessionId!;
    const other = await gw.createToken(`other-${framing}`, { servers: ['loose'] });
    const headers = { ...MCP_HEADERS, ...bearer(other.secret), 'mcp-session-id': sessionId };
    const calls = backend.calls.length;

    const posted = await fetch(url, { method: 'POST', headers, body: call(9, 'echo', { message: 'stolen' }) });
    const listened = await fetch(url, { method: 'GET', headers: { ...headers, accept: 'text/event-stream' } });
    const deleted = await fetch(url, { method: 'DELETE', headers });
    expect([posted.status, listened.status, deleted.status]).toEqual([404, 404, 404]);
    expect(await posted.json()).toMatchObject({ error: { message: 'Session not found' } });
    expect(backend.calls.slice(calls)).toEqual([]);
    expect(backend.closed).not.toContain(sessionId);
    expect(text(await owner.callTool({ name: 'echo', arguments: { message: 'still mine' } }))).toBe(`${framing}: still mine`);
  });

  it('refuses a session id the gateway never saw opened', async () => {
    const res = await gw.request('/servers/loose/mcp', { method: 'POST', headers: { ...MCP_HEADERS, 'mcp-session-id': 'made-up' }, body: call(1, 'echo') });
    expect(res.status).toBe(404);
    expect(backend.requests.some((r) => r.sessionId === 'made-up')).toBe(false);
  });

  it('ends the backend session (DELETE upstream) when the token that opened it is revoked', async () => {
    const token = await gw.createToken(`revoked-${framing}`, { servers: ['loose'] });
    const client = await pool.connect(url, { token: token.secret });
    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!;
    expect(text(await client.callTool({ name: 'echo', arguments: { message: 'before' } }))).toBe(`${framing}: before`);
    expect((await gw.admin(`/admin/tokens/${token.id}`, { method: 'DELETE' })).status).toBe(200);
    await expect.poll(() => backend.closed).toContain(sessionId);
    expect(backend.requests.some((r) => r.method === 'DELETE' && r.sessionId === sessionId)).toBe(true);
  });

  it('answers a call the backend never answers with the timeout error, cancels it upstream and audits a timeout', async () => {
    const client = await pool.connect(url);
    const calls = backend.calls.length;
    await expect(client.callTool({ name: 'never_returns', arguments: {} }, { timeout: 10_000 })).rejects.toThrow(TIMEOUT_MESSAGE);
    await expect.poll(() => backend.calls.slice(calls)).toEqual(['never_returns', 'cancelled']);
    expect(await requestEvent(gw.audit, 'loose', 'tools/call', 'never_returns')).toMatchObject({ outcome: 'timeout', error: { message: TIMEOUT_MESSAGE } });
    // The session goes on.
    expect(text(await client.callTool({ name: 'echo', arguments: { message: 'after' } }))).toBe(`${framing}: after`);
  });
});

describe('pass-through to a legacy SSE backend', () => {
  let backend: LooseHttpBackend;
  let gw: RunningGateway;
  let url: string;

  beforeAll(async () => {
    backend = await startLooseHttp({ framing: 'legacy-sse' });
    gw = await gatewayFor(backend, 'sse');
    url = `${gw.url}/servers/loose/sse`;
  });
  afterAll(async () => {
    await gw?.stop();
    await backend?.stop();
  });

  it('gives the client its own message endpoint, never the backend address', async () => {
    const stream = await openRawSse(url, bearer(gw.clientToken!));
    expect(stream.status).toBe(200);
    const endpoint = await stream.endpoint();
    expect(endpoint).toMatch(/^\/servers\/loose\/messages\?session=[A-Za-z0-9_-]+$/);
    expect(JSON.stringify(stream.events)).not.toContain(new URL(backend.url).port);
    stream.close();
  });

  it('relays calls, refuses the filtered tool, and audits each posted message with its answer from the stream', async () => {
    const calls = backend.calls.length;
    const client = await pool.connect(url, { sse: true });
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('Secret_Tool');
    expect(text(await client.callTool({ name: 'echo', arguments: { message: 'over sse' } }))).toBe('legacy-sse: over sse');
    // The refusal arrives on the stream, as legacy SSE answers do.
    expect(await client.callTool({ name: 'Secret_Tool', arguments: {} })).toMatchObject({ isError: true, _meta: { 'io.gatehouse/outcome': 'filtered' } });
    expect(backend.calls.slice(calls)).toEqual(['echo']);

    const audit = gw.audit;
    expect(await requestEvent(audit, 'loose', 'initialize')).toMatchObject({ outcome: 'ok', httpStatus: 202, way: 'per-server' });
    expect(await requestEvent(audit, 'loose', 'tools/list')).toMatchObject({ outcome: 'ok', httpStatus: 202 });
    const echo = await requestEvent(audit, 'loose', 'tools/call', 'echo');
    expect(echo).toMatchObject({ outcome: 'ok', httpStatus: 202, args: { message: 'over sse' } });
    expect(echo.preview).toContain('legacy-sse: over sse');
    expect(echo.durationMs).toBeGreaterThanOrEqual(0);
    expect(await requestEvent(audit, 'loose', 'tools/call', 'Secret_Tool')).toMatchObject({ outcome: 'filtered' });
  });

  it("answers another token 404 on the owner's message endpoint, and nothing reaches the owner's stream", async () => {
    const owner = await openRawSse(url, bearer(gw.clientToken!));
    const endpoint = `${gw.url}${await owner.endpoint()}`;
    const other = await gw.createToken('other-legacy', { servers: ['loose'] });
    const posts = backend.requests.filter((r) => r.method === 'POST').length;

    const stolen = await fetch(endpoint, { method: 'POST', headers: { ...MCP_HEADERS, ...bearer(other.secret) }, body: initialize(66) });
    expect(stolen.status).toBe(404);
    expect(backend.requests.filter((r) => r.method === 'POST')).toHaveLength(posts);

    const mine = await fetch(endpoint, { method: 'POST', headers: { ...MCP_HEADERS, ...bearer(gw.clientToken!) }, body: initialize(7) });
    expect(mine.status).toBe(202);
    await expect.poll(() => owner.messages().map((m) => m.id)).toEqual([7]);
    owner.close();
  });

  it('ends the stream and the backend session when the token that opened it is revoked', async () => {
    const token = await gw.createToken('revoked-legacy', { servers: ['loose'] });
    const stream = await openRawSse(url, bearer(token.secret));
    const endpoint = `${gw.url}${await stream.endpoint()}`;
    const posted = await fetch(endpoint, { method: 'POST', headers: { ...MCP_HEADERS, ...bearer(token.secret) }, body: initialize(1) });
    expect(posted.status).toBe(202);
    // The backend's own session id, from the message the gateway relayed.
    const sessionId = backend.requests.filter((r) => r.method === 'POST').at(-1)!.sessionId;
    expect(sessionId).toBeTruthy();
    expect((await gw.admin(`/admin/tokens/${token.id}`, { method: 'DELETE' })).status).toBe(200);
    await expect.poll(() => stream.ended()).toBe(true);
    await expect.poll(() => backend.closed).toContain(sessionId);
  });

  it('answers a call the backend never answers with the timeout error on the stream, cancels it upstream and audits a timeout', async () => {
    const client = await pool.connect(url, { sse: true });
    const calls = backend.calls.length;
    await expect(client.callTool({ name: 'never_returns', arguments: {} }, { timeout: 10_000 })).rejects.toThrow(TIMEOUT_MESSAGE);
    await expect.poll(() => backend.calls.slice(calls)).toEqual(['never_returns', 'cancelled']);
    expect(await requestEvent(gw.audit, 'loose', 'tools/call', 'never_returns')).toMatchObject({ outcome: 'timeout', error: { message: TIMEOUT_MESSAGE } });
    expect(text(await client.callTool({ name: 'echo', arguments: { message: 'after' } }))).toBe('legacy-sse: after');
  });

  it('ends open streams and forgets their sessions when the server is stopped', async () => {
    const stream = await openRawSse(url, bearer(gw.clientToken!));
    const endpoint = `${gw.url}${await stream.endpoint()}`;
    expect((await gw.admin('/admin/servers/loose/stop', { method: 'POST' })).status).toBe(200);
    await expect.poll(() => stream.ended()).toBe(true);
    const stopped = await fetch(endpoint, { method: 'POST', headers: { ...MCP_HEADERS, ...bearer(gw.clientToken!) }, body: initialize(1) });
    expect(stopped.status).toBe(503);
    expect((await gw.admin('/admin/servers/loose/start', { method: 'POST' })).status).toBe(200);
    const stale = await fetch(endpoint, { method: 'POST', headers: { ...MCP_HEADERS, ...bearer(gw.clientToken!) }, body: initialize(1) });
    expect(stale.status).toBe(404);
  });
});

describe('pass-through to the reference server (server-everything)', () => {
  const started: Array<{ gw: RunningGateway; backend: RunningBackend }> = [];
  afterAll(async () => {
    for (const { gw, backend } of started.splice(0)) {
      await gw.stop();
      await backend.stop();
    }
  });

  it.each([
    { mode: 'streamableHttp' as const, type: 'http', path: 'mcp', status: 200 },
    { mode: 'sse' as const, type: 'sse', path: 'sse', status: 202 },
  ])('audits calls over $mode as ok, with a preview and the backend status', async ({ mode, type, path, status }) => {
    const backend = await startEverythingHttp(mode);
    const gw = await startGateway({ everything: { type, url: backend.url, toolFilter: { block: ['get-env'] } } });
    started.push({ gw, backend });
    const client = await pool.connect(`${gw.url}/servers/everything/${path}`, { sse: mode === 'sse' });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('echo');
    expect(names).not.toContain('get-env');
    expect(text(await client.callTool({ name: 'echo', arguments: { message: 'reference' } }))).toBe('Echo: reference');

    expect(await requestEvent(gw.audit, 'everything', 'initialize')).toMatchObject({ outcome: 'ok', httpStatus: status });
    expect(await requestEvent(gw.audit, 'everything', 'tools/list')).toMatchObject({ outcome: 'ok', httpStatus: status });
    const echo = await requestEvent(gw.audit, 'everything', 'tools/call', 'echo');
    expect(echo).toMatchObject({ outcome: 'ok', httpStatus: status });
    expect(echo.preview).toContain('Echo: reference');
  });
});
