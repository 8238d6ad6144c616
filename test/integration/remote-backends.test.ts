import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEverythingHttp, startHeaderEcho, type HeaderEchoBackend, type RunningBackend } from '../fixtures/backends.js';
import { clientPool, text, startGateway, type RunningGateway } from './harness.js';


describe('remote backends (SSE and streamable HTTP) through the gateway', () => {
  let gw: RunningGateway;
  let sse: RunningBackend;
  let http: RunningBackend;
  let echo: HeaderEchoBackend;
  const pool = clientPool();
  const connect = pool.connect;

  beforeAll(async () => {
    [sse, http, echo] = await Promise.all([startEverythingHttp('sse'), startEverythingHttp('streamableHttp'), startHeaderEcho()]);
    gw = await startGateway(
      {
        remote_sse: { type: 'sse', url: sse.url, timeout: 20_000, sseReadTimeout: 60_000 },
        remote_http: { type: 'http', url: http.url, toolFilter: { block: ['get-env'] } },
        headers: { type: 'streamable-http', url: echo.url, headers: { 'X-Backend-Key': 'backend-secret-123' } },
        down: { type: 'streamable-http', url: 'http://127.0.0.1:9/mcp', timeout: 2000 },
      },
      { clientToken: 'client-token-abc' },
    );
  });
  afterEach(async () => {
    await pool.closeAll();
  });
  afterAll(async () => {
    await gw?.stop();
    await Promise.allSettled([sse?.stop(), http?.stop(), echo?.stop()]);
  });

  const auth = { Authorization: 'Bearer client-token-abc' };

  it('aggregates tools of SSE and streamable HTTP backends and calls them', async () => {
    const client = await connect(`${gw.url}/mcp`, { headers: auth });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('remote_sse__echo');
    expect(names).toContain('remote_http__echo');
    expect(names).not.toContain('remote_http__get-env');
    expect(text(await client.callTool({ name: 'remote_sse__echo', arguments: { message: 'a' } }))).toBe('Echo: a');
    expect(text(await client.callTool({ name: 'remote_http__echo', arguments: { message: 'b' } }))).toBe('Echo: b');
    expect(await client.callTool({ name: 'remote_http__get-env', arguments: {} })).toMatchObject({ isError: true });
  });

  it('relays progress from a remote backend', async () => {
    const client = await connect(`${gw.url}/mcp`, { headers: auth });
    const progress: number[] = [];
    await client.callTool(
      { name: 'remote_http__trigger-long-running-operation', arguments: { duration: 1, steps: 2 } },
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(progress).toEqual([1, 2]);
  });

  it('relays sampling from a remote backend to the client that called', async () => {
    const client = await connect(`${gw.url}/mcp`, { headers: auth, capabilities: { sampling: {} } });
    client.setRequestHandler('sampling/createMessage', async () => ({
      model: 'remote-sampler',
      role: 'assistant',
      content: { type: 'text', text: 'ok' },
    }));
    const result = await client.callTool({ name: 'remote_http__trigger-sampling-request', arguments: { prompt: 'p', maxTokens: 3 } });
    expect(text(result)).toContain('remote-sampler');
  });

  it('injects configured headers upstream and never forwards the client token (aggregate)', async () => {
    const client = await connect(`${gw.url}/mcp`, { headers: { ...auth, 'X-API-Key': 'client-token-abc' } });
    await client.callTool({ name: 'headers__whoami', arguments: {} });
    expect(echo.received.length).toBeGreaterThan(0);
    for (const request of echo.received) {
      expect(request.headers['x-backend-key']).toBe('backend-secret-123');
      expect(JSON.stringify(request.headers)).not.toContain('client-token-abc');
    }
  });

  it('bridges a streamable HTTP backend to /servers/<name>/sse and an SSE backend to /servers/<name>/mcp', async () => {
    const overSse = await connect(`${gw.url}/servers/remote_http/sse`, { sse: true, headers: auth });
    expect(text(await overSse.callTool({ name: 'echo', arguments: { message: 'x' } }))).toBe('Echo: x');
    expect((await overSse.listTools()).tools.map((t) => t.name)).not.toContain('get-env');
    const overHttp = await connect(`${gw.url}/servers/remote_sse/mcp`, { headers: auth });
    expect(text(await overHttp.callTool({ name: 'echo', arguments: { message: 'y' } }))).toBe('Echo: y');
  });

  it('passes the per-server endpoint through to a backend of the same transport', async () => {
    const client = await connect(`${gw.url}/servers/remote_http/mcp`, { headers: auth });
    expect(text(await client.callTool({ name: 'echo', arguments: { message: 'z' } }))).toBe('Echo: z');
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('get-env');
  });

  it('marks an unreachable backend as error and keeps the others', () => {
    const down = gw.gateway.serverView('down')!;
    expect(down.status).toBe('error');
    expect(down.lastError).toMatch(/ECONNREFUSED|fetch failed|connect/i);
    expect(gw.gateway.serverView('remote_http')!.status).toBe('running');
  });

  it('requires the client token on MCP endpoints', async () => {
    const res = await fetch(`${gw.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    // Bearer, and nothing that advertises OAuth discovery (clients would drop their static header).
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');
    const wrong = await gw.request(`/servers/remote_http/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' },
      body: '{}',
    });
    expect(wrong.status).toBe(401);
  });
});
