import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { exceedsJsonDepth, parseJsonRpcBody, readBody, sendJsonRpcError } from '../../../../../main/core/http/body.js';
import type { ReadBodyResult } from '../../../../../main/core/http/body.js';

const LIMIT = 64;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server | undefined;

afterEach(async () => {
  if (!server) return;
  const closing = server;
  server = undefined;
  closing.closeAllConnections();
  await new Promise<void>((resolve) => closing.close(() => resolve()));
});

/** Starts a server on 127.0.0.1:0 whose handler is `handler`; returns its port. */
async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/**
 * A server that reads each body with readBody(LIMIT), as the endpoints do, answers 200 with the
 * body echoed back or the refusal as a JSON-RPC error, and records every readBody result.
 */
async function echoServer(): Promise<{ port: number; results: ReadBodyResult[]; nextResult: () => Promise<ReadBodyResult> }> {
  const results: ReadBodyResult[] = [];
  const waiting: Array<(result: ReadBodyResult) => void> = [];
  const port = await listen((req, res) => {
    void readBody(req, LIMIT).then((result) => {
      results.push(result);
      waiting.shift()?.(result);
      if (result.ok) res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(result.raw);
      else sendJsonRpcError(res, result.status, -32600, result.message);
    });
  });
  const nextResult = (): Promise<ReadBodyResult> => new Promise((resolve) => waiting.push(resolve));
  return { port, results, nextResult };
}

/** Sends a POST; `send` writes (and usually ends) the body. Resolves with the answer. */
function post(port: number, headers: Record<string, string | number>, send: (req: ClientRequest) => void): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        req.destroy();
      });
    });
    req.on('error', reject);
    send(req);
  });
}

const refusal = (reply: Reply): unknown => JSON.parse(reply.body);

describe('readBody', () => {
  it('returns the exact bytes of a body under the limit, multi-byte characters included', async () => {
    const { port, results } = await echoServer();
    const body = Buffer.from('{"text":"caf\u00e9 \u{1F600}"}', 'utf8');
    const reply = await post(port, { 'content-length': body.length }, (req) => req.end(body));
    expect(reply.status).toBe(200);
    expect(reply.body).toBe(body.toString('utf8'));
    expect(results).toEqual([{ ok: true, raw: body }]);
  });

  it('accepts a body of exactly the limit, declared or chunked', async () => {
    const { port } = await echoServer();
    const body = 'x'.repeat(LIMIT);
    expect((await post(port, { 'content-length': LIMIT }, (req) => req.end(body))).body).toBe(body);
    const chunked = await post(port, {}, (req) => {
      req.write(body.slice(0, 10));
      req.write(body.slice(10, 40));
      req.end(body.slice(40));
    });
    expect(chunked).toMatchObject({ status: 200, body });
  });

  it('returns an empty buffer for an empty body', async () => {
    const { port, results } = await echoServer();
    expect((await post(port, { 'content-length': 0 }, (req) => req.end())).status).toBe(200);
    expect(results).toEqual([{ ok: true, raw: Buffer.alloc(0) }]);
  });

  it('refuses a declared Content-Length over the limit with 413 before any of the body is sent', async () => {
    const { port, results } = await echoServer();
    // Only the headers go out: the answer must come without the server waiting for the body.
    const reply = await post(port, { 'content-length': LIMIT + 1 }, (req) => req.flushHeaders());
    expect(reply.status).toBe(413);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(refusal(reply)).toEqual({
      jsonrpc: '2.0',
      error: { code: -32600, message: `request body exceeds the limit of ${LIMIT} bytes` },
      id: null,
    });
    expect(results).toEqual([{ ok: false, status: 413, message: `request body exceeds the limit of ${LIMIT} bytes` }]);
  });

  it('refuses a chunked body with 413 as soon as it passes the limit, while the client is still sending', async () => {
    const { port, results } = await echoServer();
    const reply = await post(port, {}, (req) => {
      req.write('a'.repeat(LIMIT - 1));
      req.write('bb');
      // The body is never ended: the 413 must not wait for it.
    });
    expect(reply.status).toBe(413);
    expect(results).toEqual([{ ok: false, status: 413, message: `request body exceeds the limit of ${LIMIT} bytes` }]);
  });

  it('lets a client that sends a whole oversized body read the 413', async () => {
    const { port } = await echoServer();
    const big = Buffer.alloc(256 * 1024, 'z');
    expect((await post(port, { 'content-length': big.length }, (req) => req.end(big))).status).toBe(413);
    expect((await post(port, {}, (req) => req.end(big))).status).toBe(413);
  });

  it('answers 400 when the client goes away in the middle of the body', async () => {
    const { port, nextResult } = await echoServer();
    const result = nextResult();
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nabc', () => socket.destroy());
    expect(await result).toEqual({ ok: false, status: 400, message: 'the request body was not fully received' });
  });

  it('answers 400 for a Content-Length that is not a non-negative integer', async () => {
    for (const value of ['abc', '-1', '1.5']) {
      const req = Object.assign(new PassThrough(), { headers: { 'content-length': value } });
      expect(await readBody(req as unknown as IncomingMessage, LIMIT)).toEqual({ ok: false, status: 400, message: 'invalid Content-Length header' });
    }
  });

  it('answers 400, without rejecting, when the stream errors mid-body', async () => {
    const stream = new PassThrough();
    const req = Object.assign(stream, { headers: {} });
    const result = readBody(req as unknown as IncomingMessage, LIMIT);
    stream.write('abc');
    stream.destroy(new Error('socket hang up'));
    expect(await result).toEqual({ ok: false, status: 400, message: 'the request body was not fully received' });
  });

  it('answers 400 when the request is destroyed mid-body without an error', async () => {
    const stream = new PassThrough();
    const req = Object.assign(stream, { headers: { 'content-length': '10' } });
    const result = readBody(req as unknown as IncomingMessage, LIMIT);
    stream.write('abc');
    stream.destroy();
    expect(await result).toEqual({ ok: false, status: 400, message: 'the request body was not fully received' });
  });
});

describe('exceedsJsonDepth', () => {
  const nested = (depth: number, open = '[', close = ']'): Buffer => Buffer.from(`${open.repeat(depth)}${close.repeat(depth)}`);

  it('counts objects and arrays, and nothing inside strings', () => {
    expect(exceedsJsonDepth(nested(3), 3)).toBe(false);
    expect(exceedsJsonDepth(nested(4), 3)).toBe(true);
    expect(exceedsJsonDepth(Buffer.from('{"a":[{"b":1}],"c":{}}'), 3)).toBe(false);
    expect(exceedsJsonDepth(Buffer.from('{"a":[{"b":1}],"c":{}}'), 2)).toBe(true);
    expect(exceedsJsonDepth(Buffer.from('{"s":"[[[[{{{{"}'), 1)).toBe(false);
    // An escaped quote does not end the string; an escaped backslash before the quote does.
    expect(exceedsJsonDepth(Buffer.from('{"s":"\\"[[[["}'), 1)).toBe(false);
    expect(exceedsJsonDepth(Buffer.from('{"s":"\\\\",  "t":[[1]]}'), 2)).toBe(true);
    expect(exceedsJsonDepth(Buffer.from('{"s":"é[[[["}'), 1)).toBe(false);
  });

  it('lets parseJsonRpcBody refuse JSON nested past the limit as an invalid request naming it, before parsing', () => {
    const refused = parseJsonRpcBody(nested(5_000, '{"a":', '}'), 64);
    expect(refused).toEqual({ ok: false, tooDeep: true, message: "Invalid Request: the JSON is nested deeper than 64 levels (the gateway's maxJsonDepth limit)" });
    expect(parseJsonRpcBody(Buffer.from(`${'['.repeat(64)}${']'.repeat(64)}`), 64).ok).toBe(true);
  });
});

describe('parseJsonRpcBody', () => {
  it('parses a message and a batch', () => {
    expect(parseJsonRpcBody(Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping"}'))).toEqual({
      ok: true,
      value: { jsonrpc: '2.0', id: 1, method: 'ping' },
    });
    expect(parseJsonRpcBody(Buffer.from(' [{"id":"\u00e9"}]\n'))).toEqual({ ok: true, value: [{ id: '\u00e9' }] });
  });

  it('checks syntax only, so any JSON value is accepted', () => {
    expect(parseJsonRpcBody(Buffer.from('42'))).toEqual({ ok: true, value: 42 });
    expect(parseJsonRpcBody(Buffer.from('null'))).toEqual({ ok: true, value: null });
  });

  it('refuses an empty or blank body by name', () => {
    for (const raw of ['', ' \r\n\t ']) {
      expect(parseJsonRpcBody(Buffer.from(raw))).toEqual({ ok: false, message: 'Parse error: empty request body' });
    }
  });

  it('refuses invalid JSON with a message that says what is wrong and where', () => {
    const truncated = parseJsonRpcBody(Buffer.from('{"jsonrpc":"2.0"'));
    expect(truncated.ok).toBe(false);
    expect(!truncated.ok && truncated.message).toMatch(/^Parse error: .*JSON.*position 16/);
    const garbage = parseJsonRpcBody(Buffer.from('jsonrpc=2.0'));
    expect(!garbage.ok && garbage.message).toMatch(/^Parse error: .*"jsonrpc=2.0" is not valid JSON/);
  });
});

describe('sendJsonRpcError', () => {
  /** Serves one request with `handler` and fetches it. */
  async function fetchFrom(handler: (res: ServerResponse) => void): Promise<Response> {
    const port = await listen((req, res) => {
      req.resume();
      handler(res);
    });
    return fetch(`http://127.0.0.1:${port}/`);
  }

  it('writes the status, a JSON content type and a JSON-RPC error body with the id', async () => {
    const res = await fetchFrom((r) => sendJsonRpcError(r, 404, -32001, 'Session not found', 'abc'));
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: 'abc' });
  });

  it('uses a null id by default and counts Content-Length in bytes', async () => {
    const message = 'backend "caf\u00e9 \u{1F600}" failed';
    const res = await fetchFrom((r) => sendJsonRpcError(r, 502, -32603, message));
    const expected = JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message }, id: null });
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(expected)));
    expect(await res.text()).toBe(expected);
  });

  it('keeps the first answer when called again after the response ended', async () => {
    const res = await fetchFrom((r) => {
      sendJsonRpcError(r, 400, -32700, 'first', 1);
      sendJsonRpcError(r, 500, -32603, 'second', 2);
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ jsonrpc: '2.0', error: { code: -32700, message: 'first' }, id: 1 });
  });

  it('does nothing when the client is already gone', async () => {
    let served: ServerResponse | undefined;
    const reply = fetchFrom((r) => {
      r.destroy();
      sendJsonRpcError(r, 500, -32603, 'nobody listens');
      served = r;
    });
    await expect(reply).rejects.toThrow();
    expect(served?.headersSent).toBe(false);
  });

  it('cuts a stream that is already under way instead of appending an error to it', async () => {
    const res = await fetchFrom((r) => {
      r.writeHead(200, { 'content-type': 'text/event-stream' });
      r.write('data: partial\n\n', () => sendJsonRpcError(r, 500, -32603, 'too late'));
    });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });
});

describe('readBody on a request that is already gone', () => {
  it('answers 400 instead of waiting forever', async () => {
    const stream = new PassThrough();
    stream.destroy();
    await once(stream, 'close');
    const result = await readBody(Object.assign(stream, { headers: {} }) as unknown as IncomingMessage, 64);
    expect(result).toMatchObject({ ok: false, status: 400 });
  });
});
