import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientPool, startGateway, type RunningGateway } from './harness.js';

/**
 * HTTP backends that fail the way real ones do: HTTP 500, an HTML page instead of MCP, a
 * connection reset. The client always gets a JSON-RPC error naming the server (never the
 * backend's address), and the gateway keeps serving.
 */

let gw: RunningGateway;
let faulty: HttpServer;
let base: string;
const pool = clientPool();

beforeAll(async () => {
  faulty = createServer((req, res) => {
    req.resume();
    if (req.url === '/500') res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error');
    else if (req.url === '/html') res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Please log in</body></html>');
    else req.socket.destroy();
  });
  await new Promise<void>((resolve) => faulty.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(faulty.address() as AddressInfo).port}`;
  gw = await startGateway({
    err500: { type: 'http', url: `${base}/500`, restart: 'never' },
    html: { type: 'http', url: `${base}/html`, restart: 'never' },
    reset: { type: 'http', url: `${base}/reset`, restart: 'never' },
  });
});

afterAll(async () => {
  await pool.closeAll();
  await gw?.stop();
  faulty?.closeAllConnections();
  await new Promise((resolve) => faulty?.close(resolve));
});

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

async function post(server: string): Promise<{ status: number; body: { error?: { message: string } } }> {
  const res = await gw.request(`/servers/${server}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify(initialize),
  });
  return { status: res.status, body: (await res.json()) as { error?: { message: string } } };
}

describe('HTTP backends that misbehave', () => {
  it.each([
    ['err500', /backend "err500" answered HTTP 500/],
    ['html', /backend "html" answered with text\/html, not an MCP message/],
    ['reset', /backend "reset" (closed the connection|is unreachable)/],
  ])('%s: the client gets a clear JSON-RPC error naming the server, never its address', async (server, message) => {
    const { status, body } = await post(server);
    expect(status).toBeGreaterThanOrEqual(500);
    expect(body.error?.message).toMatch(message);
    expect(JSON.stringify(body)).not.toContain(base);
    // Its status says why it is not running.
    const view = gw.gateway.serverView(server)!;
    expect(view.status).toBe('error');
    expect(view.reason).toBeTruthy();
    expect(view.reason).not.toContain(base);
  });

  it('keeps serving: the aggregate still answers', async () => {
    const client = await pool.connect(`${gw.url}/mcp`);
    expect((await client.listTools()).tools).toEqual([]);
  });
});
