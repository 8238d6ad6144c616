/**
 * What the per-server pass-through does with backends that fail or misbehave, and with what a
 * client must never pass on: through a gateway built as `gatehouse serve` builds it.
 */
import { once } from 'node:events';
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { getFreePort, startHeaderEcho } from '../fixtures/backends.js';
import { requestEvent } from '../support/audit-events.js';
import { initializeBody as initialize, MCP_HEADERS } from '../support/raw-mcp.js';
import { bearer, clientPool, startGateway, text, type RunningGateway } from './harness.js';

const pool = clientPool();
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await pool.closeAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gateway(...args: Parameters<typeof startGateway>): Promise<RunningGateway> {
  const gw = await startGateway(...args);
  cleanups.push(() => gw.stop());
  return gw;
}

describe('pass-through failures', () => {
  it('answers 502 naming the server, not its address, when the backend is down, and audits it as unreachable', async () => {
    const port = await getFreePort();
    const gw = await gateway({ down: { type: 'http', url: `http://127.0.0.1:${port}/mcp` } });
    const response = await gw.request('/servers/down/mcp', { method: 'POST', headers: MCP_HEADERS, body: initialize(3) });
    expect(response.status).toBe(502);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({ jsonrpc: '2.0', id: 3, error: { code: -32603, message: 'backend "down" is unreachable: ECONNREFUSED' } });
    expect(body).not.toContain(String(port));
    expect(await requestEvent(gw.audit, 'down', 'initialize')).toMatchObject({ outcome: 'backend_unreachable', way: 'per-server' });
    // The SDK client puts the answer's body in its error.
    await expect(pool.connect(`${gw.url}/servers/down/mcp`)).rejects.toThrow(/down.{0,4} is unreachable: ECONNREFUSED/);
  });

  it('turns a backend 401 into a 502 without relaying the challenge, and audits the backend status', async () => {
    const echo = await startHeaderEcho({ requireHeader: { name: 'x-backend-key', value: 'right' } });
    cleanups.push(() => echo.stop());
    const gw = await gateway({ locked: { type: 'http', url: echo.url, headers: { 'x-backend-key': 'wrong' } } });
    const response = await gw.request('/servers/locked/mcp', { method: 'POST', headers: MCP_HEADERS, body: initialize(1) });
    expect(response.status).toBe(502);
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe('backend "locked" rejected the gateway\'s credentials (HTTP 401)');
    expect(await requestEvent(gw.audit, 'locked', 'initialize')).toMatchObject({ outcome: 'backend_http_error', httpStatus: 401 });
  });

  it('injects the configured headers, strips the client credentials and relays no backend header that names it', async () => {
    const echo = await startHeaderEcho();
    cleanups.push(() => echo.stop());
    const gw = await gateway({ echo: { type: 'http', url: echo.url, headers: { 'X-Backend-Key': 'backend-secret' }, toolFilter: { block: ['forbidden'] } } });
    const from = echo.received.length;
    const client = await pool.connect(`${gw.url}/servers/echo/mcp`, {
      headers: {
        ...bearer(gw.clientToken!),
        'X-API-Key': 'client-key',
        Cookie: 'gateway-session=client',
        'x-backend-key': 'forged-by-client',
        'X-Custom': 'kept',
      },
    });
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['whoami']);
    const seen = JSON.parse(text(await client.callTool({ name: 'whoami', arguments: {} }))) as Record<string, unknown>;
    expect(seen['x-backend-key']).toBe('backend-secret');
    // The client's own header marks what was relayed (the gateway's own requests to the backend have none).
    const relayed = echo.received.slice(from).filter((r) => r.headers['x-custom'] === 'kept');
    expect(relayed.length).toBeGreaterThanOrEqual(3);
    for (const { headers } of echo.received) {
      expect(headers['x-backend-key']).toBe('backend-secret');
      expect(headers.authorization).toBeUndefined();
      expect(headers['x-api-key']).toBeUndefined();
      expect(headers.cookie).toBeUndefined();
      expect(headers.host).toBe(new URL(echo.url).host);
    }

    const raw = await gw.request('/servers/echo/mcp', { method: 'POST', headers: MCP_HEADERS, body: initialize(1) });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('mcp-session-id')).toBeTruthy();
    expect(raw.headers.get('set-cookie')).toBeNull();
    expect(raw.headers.get('x-backend-url')).toBeNull();
    expect(await raw.text()).not.toContain(new URL(echo.url).port);
  });

  it('never forwards a call to a filtered tool, alone or in a batch', async () => {
    const echo = await startHeaderEcho();
    cleanups.push(() => echo.stop());
    const gw = await gateway({ echo: { type: 'http', url: echo.url, toolFilter: { block: ['forbidden'] } } });
    const client = await pool.connect(`${gw.url}/servers/echo/mcp`);
    expect(await client.callTool({ name: 'forbidden', arguments: {} })).toMatchObject({ isError: true });
    const batch = await gw.request('/servers/echo/mcp', {
      method: 'POST',
      headers: MCP_HEADERS,
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'forbidden', arguments: {} } },
        { jsonrpc: '2.0', id: 'eight', method: 'tools/call', params: { name: 'whoami', arguments: {} } },
      ]),
    });
    expect(batch.status).toBe(200);
    const answers = (await batch.json()) as Array<{ id: unknown; result?: { isError?: boolean }; error?: { code: number } }>;
    expect(answers.map((a) => [a.id, a.result?.isError ?? a.error?.code])).toEqual([
      [7, true],
      ['eight', -32600],
    ]);
    const called = echo.received
      .flatMap((entry) => (Array.isArray(entry.body) ? entry.body : [entry.body]))
      .filter((m): m is { method: string; params: { name: string } } => (m as { method?: string } | undefined)?.method === 'tools/call')
      .map((m) => m.params.name);
    expect(called).toEqual([]);
  });

  it('answers the timeout error when the backend sends nothing in time, and aborts upstream when the client leaves', async () => {
    const pending: IncomingMessage[] = [];
    const closedUpstream: IncomingMessage[] = [];
    const silent = createServer((req) => {
      pending.push(req);
      req.resume();
      req.socket.once('close', () => closedUpstream.push(req));
    });
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    cleanups.push(async () => {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/mcp`;
    // Neither backend ever starts: a short start timeout keeps the gateway's own start quick.
    const gw = await gateway({ slow: { type: 'http', url, timeout: 300 }, hang: { type: 'http', url: url.replace('/mcp', '/hang') } }, { startTimeoutMs: 500 });

    const slow = await gw.request('/servers/slow/mcp', { method: 'POST', headers: MCP_HEADERS, body: initialize(4) });
    expect(await slow.json()).toEqual({
      jsonrpc: '2.0',
      id: 4,
      error: { code: -32603, message: 'server "slow" did not answer initialize within 300 ms', data: { outcome: 'timeout' } },
    });
    expect(await requestEvent(gw.audit, 'slow', 'initialize')).toMatchObject({ outcome: 'timeout' });

    const before = pending.length;
    const abort = new AbortController();
    const hanging = gw.request('/servers/hang/mcp', { method: 'POST', headers: MCP_HEADERS, body: initialize(1), signal: abort.signal });
    await expect.poll(() => pending.length).toBeGreaterThan(before);
    const upstream = pending.at(-1);
    abort.abort();
    await expect(hanging).rejects.toThrow();
    await expect.poll(() => upstream !== undefined && closedUpstream.includes(upstream)).toBe(true);
  });

  it('answers 413 for a body over the limit, declared or chunked, and forwards nothing', async () => {
    const maxBodyBytes = 64 * 1024;
    const echo = await startHeaderEcho();
    cleanups.push(() => echo.stop());
    // A smaller body limit than the default, to send a body over it quickly.
    const gw = await gateway({ echo: { type: 'http', url: echo.url } }, { limits: { maxBodyBytes } });
    const received = echo.received.length;
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(maxBodyBytes) } });

    const declared = await gw.request('/servers/echo/mcp', { method: 'POST', headers: MCP_HEADERS, body: big });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: { message: string } }).error.message).toContain(`${maxBodyBytes} bytes`);

    const chunked = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${gw.url}/servers/echo/mcp`, { method: 'POST', headers: { ...MCP_HEADERS, ...bearer(gw.clientToken!) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let offset = 0; offset < big.length; offset += 8192) req.write(big.slice(offset, offset + 8192));
      req.end();
    });
    expect(chunked).toBe(413);
    expect(echo.received.length).toBe(received);
  });
});
