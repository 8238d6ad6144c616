import { once } from 'node:events';
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpPassthrough } from '../../main/core/http/passthrough.js';
import type { PassthroughBackend } from '../../main/core/http/passthrough.js';
import { getFreePort, startEverythingHttp, startHeaderEcho } from '../fixtures/backends.js';

const MAX_BODY_BYTES = 64 * 1024;

/** Things to stop after each test, last started first. */
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface TestGateway {
  base: string;
  passthrough: HttpPassthrough;
}

/** A node:http server routing `/servers/<name>/{mcp,sse,messages}` to an HttpPassthrough. */
async function startGateway(...backends: PassthroughBackend[]): Promise<TestGateway> {
  const passthrough = new HttpPassthrough({ maxBodyBytes: MAX_BODY_BYTES });
  const byName = new Map(backends.map((backend) => [backend.name, backend]));
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://gateway.test').pathname;
    const match = /^\/servers\/([^/]+)\/(mcp|sse|messages)$/.exec(path);
    const backend = match?.[1] === undefined ? undefined : byName.get(decodeURIComponent(match[1]));
    if (!match || !backend) {
      res.writeHead(404).end();
      return;
    }
    if (match[2] === 'mcp') void passthrough.handleStreamable(req, res, backend);
    else if (match[2] === 'sse') void passthrough.handleSseStream(req, res, backend);
    else void passthrough.handleSseMessage(req, res, backend);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    await passthrough.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, passthrough };
}

function backendFor(name: string, url: string, extra: Partial<PassthroughBackend> = {}): PassthroughBackend {
  return {
    name,
    url,
    transport: url.endsWith('/sse') ? 'sse' : 'streamable-http',
    headers: {},
    isToolAllowed: (tool) => tool !== 'get-env' && tool !== 'forbidden',
    ...extra,
  };
}

async function connect(transport: StreamableHTTPClientTransport | SSEClientTransport): Promise<Client> {
  const client = new Client({ name: 'passthrough-test', version: '1.0.0' });
  await client.connect(transport);
  cleanups.push(() => client.close());
  return client;
}

function initializeBody(id: number | string = 1): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
}

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((block) => block.text ?? '').join('');
}

describe('HttpPassthrough with a streamable-http backend', () => {
  it('lists and calls tools, hides filtered tools and refuses calls to them', async () => {
    const everything = await startEverythingHttp('streamableHttp');
    cleanups.push(() => everything.stop());
    const gateway = await startGateway(backendFor('x', everything.url));
    const client = await connect(new StreamableHTTPClientTransport(new URL(`${gateway.base}/servers/x/mcp`)));

    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('echo');
    expect(names).not.toContain('get-env');

    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'hello' } }))).toBe('Echo: hello');
    expect(await client.callTool({ name: 'get-env', arguments: {} })).toEqual({
      content: [{ type: 'text', text: 'Tool "get-env" is disabled by the gateway\'s tool filter for server "x"' }],
      isError: true,
      _meta: { 'io.gatehouse/outcome': 'filtered' },
    });
  });

  it('never forwards a call to a filtered tool, alone or in a batch', async () => {
    const echo = await startHeaderEcho();
    cleanups.push(() => echo.stop());
    const gateway = await startGateway(backendFor('echo', echo.url));
    const client = await connect(new StreamableHTTPClientTransport(new URL(`${gateway.base}/servers/echo/mcp`)));

    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['whoami']);
    expect(await client.callTool({ name: 'forbidden', arguments: {} })).toMatchObject({ isError: true });

    const batch = await fetch(`${gateway.base}/servers/echo/mcp`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'forbidden', arguments: {} } },
        { jsonrpc: '2.0', id: 'eight', method: 'tools/call', params: { name: 'whoami', arguments: {} } },
      ]),
    });
    expect(batch.status).toBe(200);
    const answers = (await batch.json()) as Array<{ id: unknown; result?: { isError?: boolean }; error?: { code: number } }>;
    expect(answers.map((answer) => [answer.id, answer.result?.isError ?? answer.error?.code])).toEqual([
      [7, true],
      ['eight', -32600],
    ]);

    expect(textOf(await client.callTool({ name: 'whoami', arguments: {} }))).toContain('"host"');
    // The backend's own log: only the allowed call ever reached it.
    const messages = echo.received.flatMap((entry) => (Array.isArray(entry.body) ? entry.body : [entry.body])) as Array<{
      method?: string;
      params?: { name?: string };
    }>;
    const called = messages.filter((message) => message?.method === 'tools/call').map((message) => message.params?.name);
    expect(called).toEqual(['whoami']);
  });

  it('injects the configured headers and strips the client credentials', async () => {
    const echo = await startHeaderEcho();
    cleanups.push(() => echo.stop());
    const gateway = await startGateway(backendFor('echo', echo.url, { headers: { 'X-Backend-Key': 'backend-secret' } }));
    const transport = new StreamableHTTPClientTransport(new URL(`${gateway.base}/servers/echo/mcp`), {
      requestInit: {
        headers: {
          Authorization: 'Bearer client-secret',
          'X-API-Key': 'client-key',
          Cookie: 'gateway-session=client',
          'x-backend-key': 'forged-by-client',
          'X-Custom': 'kept',
        },
      },
    });
    const client = await connect(transport);
    const seen = JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} }))) as Record<string, unknown>;
    expect(seen['x-backend-key']).toBe('backend-secret');

    expect(echo.received.length).toBeGreaterThanOrEqual(3);
    for (const { headers } of echo.received) {
      expect(headers['x-backend-key']).toBe('backend-secret');
      expect(headers['x-custom']).toBe('kept');
      expect(headers.authorization).toBeUndefined();
      expect(headers['x-api-key']).toBeUndefined();
      expect(headers.cookie).toBeUndefined();
      expect(headers.host).toBe(new URL(echo.url).host);
    }

    const raw = await fetch(`${gateway.base}/servers/echo/mcp`, { method: 'POST', headers: JSON_HEADERS, body: initializeBody() });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('mcp-session-id')).toBeTruthy();
    expect(raw.headers.get('set-cookie')).toBeNull();
    expect(raw.headers.get('x-backend-url')).toBeNull();
    expect(await raw.text()).not.toContain(new URL(echo.url).port);
  });
});

describe('HttpPassthrough with an sse backend', () => {
  it('relays the stream, rewrites the endpoint and applies the filter', async () => {
    const everything = await startEverythingHttp('sse');
    cleanups.push(() => everything.stop());
    const gateway = await startGateway(backendFor('x', everything.url));

    // Tee the stream the client reads, to see exactly the endpoint event it was given.
    let streamText = '';
    const transport = new SSEClientTransport(new URL(`${gateway.base}/servers/x/sse`), {
      eventSourceInit: {
        fetch: async (url, init) => {
          const response = await fetch(url, init);
          if (!response.body) return response;
          const [forClient, forTest] = response.body.tee();
          void (async () => {
            const reader = forTest.getReader();
            const decoder = new TextDecoder();
            while (!/event: endpoint\r?\ndata: [^\r\n]*\r?\n\r?\n/.test(streamText)) {
              const { done, value } = await reader.read();
              if (done) return;
              streamText += decoder.decode(value, { stream: true });
            }
            await reader.cancel();
          })();
          return new Response(forClient, { status: response.status, headers: response.headers });
        },
      },
    });
    const client = await connect(transport);
    const streamErrors: Error[] = [];
    client.onerror = (error) => streamErrors.push(error);

    await expect.poll(() => streamText).toMatch(/event: endpoint\r?\ndata: /);
    const endpoint = /data: ([^\r\n]*)/.exec(streamText.slice(streamText.indexOf('event: endpoint')))?.[1] ?? '';
    expect(endpoint).toMatch(/^\/servers\/x\/messages\?session=[A-Za-z0-9_-]+$/);
    expect(streamText).not.toContain(new URL(everything.url).port);
    expect(streamText).not.toContain('sessionId');

    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('echo');
    expect(names).not.toContain('get-env');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'over sse' } }))).toBe('Echo: over sse');
    // The refusal arrives on the stream, as legacy SSE answers do.
    expect(await client.callTool({ name: 'get-env', arguments: {} })).toEqual({
      content: [{ type: 'text', text: 'Tool "get-env" is disabled by the gateway\'s tool filter for server "x"' }],
      isError: true,
      _meta: { 'io.gatehouse/outcome': 'filtered' },
    });

    const unknown = await fetch(`${gateway.base}/servers/x/messages?session=nope`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: initializeBody(),
    });
    expect(unknown.status).toBe(404);

    // Closing the backend ends the open stream (the client sees it drop) and forgets the session.
    gateway.passthrough.closeBackend('x');
    await expect.poll(() => streamErrors.length).toBeGreaterThan(0);
    const stale = await fetch(new URL(endpoint, gateway.base), { method: 'POST', headers: JSON_HEADERS, body: initializeBody() });
    expect(stale.status).toBe(404);
  });
});

describe('HttpPassthrough failures', () => {
  it('answers 502 naming the server, not the URL, when the backend is down', async () => {
    const port = await getFreePort();
    const gateway = await startGateway(backendFor('down', `http://127.0.0.1:${port}/mcp`));
    const response = await fetch(`${gateway.base}/servers/down/mcp`, { method: 'POST', headers: JSON_HEADERS, body: initializeBody(3) });
    expect(response.status).toBe(502);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      jsonrpc: '2.0',
      id: 3,
      error: { code: -32603, message: 'backend "down" is unreachable: ECONNREFUSED' },
    });
    expect(text).not.toContain(String(port));
    expect(text).not.toContain('127.0.0.1');

    const client = new Client({ name: 'passthrough-test', version: '1.0.0' });
    // The SDK client puts the answer's body in its error.
    const failure = client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.base}/servers/down/mcp`)));
    await expect(failure).rejects.toThrow(/down.{0,4} is unreachable: ECONNREFUSED/);
    await expect(failure).rejects.not.toThrow(String(port));
  });

  it('turns a backend 401 into a 502 without relaying the challenge', async () => {
    const echo = await startHeaderEcho({ requireHeader: { name: 'x-backend-key', value: 'right' } });
    cleanups.push(() => echo.stop());
    const gateway = await startGateway(backendFor('locked', echo.url, { headers: { 'x-backend-key': 'wrong' } }));
    const response = await fetch(`${gateway.base}/servers/locked/mcp`, { method: 'POST', headers: JSON_HEADERS, body: initializeBody() });
    expect(response.status).toBe(502);
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
      'backend "locked" rejected the gateway\'s credentials (HTTP 401)',
    );
  });

  it('answers 504 when the backend does not answer in time, and aborts upstream when the client leaves', async () => {
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
    const gateway = await startGateway(backendFor('slow', url, { timeout: 300 }), backendFor('hang', url.replace('/mcp', '/hang')));

    const slow = await fetch(`${gateway.base}/servers/slow/mcp`, { method: 'POST', headers: JSON_HEADERS, body: initializeBody() });
    expect(slow.status).toBe(504);
    expect(((await slow.json()) as { error: { message: string } }).error.message).toBe('backend "slow" did not answer within 300 ms');

    const before = pending.length;
    const abort = new AbortController();
    const hanging = fetch(`${gateway.base}/servers/hang/mcp`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: initializeBody(),
      signal: abort.signal,
    });
    await expect.poll(() => pending.length).toBe(before + 1);
    const upstream = pending[before];
    abort.abort();
    await expect(hanging).rejects.toThrow();
    await expect.poll(() => upstream !== undefined && closedUpstream.includes(upstream)).toBe(true);
  });
});

describe('HttpPassthrough body limits', () => {
  it('answers 413 for a body over the limit, declared or chunked, and forwards nothing', async () => {
    const echo = await startHeaderEcho();
    cleanups.push(() => echo.stop());
    const gateway = await startGateway(backendFor('echo', echo.url));
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(MAX_BODY_BYTES) } });

    const declared = await fetch(`${gateway.base}/servers/echo/mcp`, { method: 'POST', headers: JSON_HEADERS, body: big });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: { message: string } }).error.message).toContain(`${MAX_BODY_BYTES} bytes`);

    const chunked = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${gateway.base}/servers/echo/mcp`, { method: 'POST', headers: JSON_HEADERS }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let offset = 0; offset < big.length; offset += 8192) req.write(big.slice(offset, offset + 8192));
      req.end();
    });
    expect(chunked).toBe(413);
    expect(echo.received).toEqual([]);
  });
});
