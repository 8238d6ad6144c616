/**
 * The HTTP edge of the gateway as shipped (issue 16): malformed percent-encoding in a path gets
 * 400 naming the bad segment, wherever a path is decoded (item 8); a client that sends half its
 * headers is cut off at the header timeout, not up to 30 s later (item 13).
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURE_SERVER, startGateway, type RunningGateway } from './harness.js';

const running: RunningGateway[] = [];

afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((g) => g.stop()));
});

async function start(mcpServers: Record<string, unknown> = {}, options: Parameters<typeof startGateway>[1] = {}): Promise<RunningGateway> {
  const gw = await startGateway(mcpServers, options);
  running.push(gw);
  return gw;
}

describe('malformed percent-encoding in a path', () => {
  it('answers 400 naming the segment, on the MCP and the admin paths', async () => {
    const gw = await start({ alpha: { command: process.execPath, args: [FIXTURE_SERVER], env: { FIXTURE_LABEL: 'alpha' } } });
    const cases: Array<[string, Promise<Response>]> = [
      ['%E0%A4%A', gw.request('/servers/%E0%A4%A/mcp', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })],
      ['%ZZ', gw.request('/servers/%ZZ/sse')],
      ['%ZZ', gw.admin('/admin/servers/%ZZ')],
      ['%ZZ', gw.admin('/admin/servers/%ZZ/restart', { method: 'POST' })],
      ['%C0', gw.admin('/admin/tokens/%C0', { method: 'DELETE' })],
      ['%ZZ', gw.admin('/admin/servers/%ZZ/auth/login', { method: 'POST' })],
      ['%E0%A4%A', gw.admin('/admin/secrets/%E0%A4%A')],
    ];
    for (const [segment, pending] of cases) {
      const res = await pending;
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe(`malformed percent-encoding in path segment "${segment}"`);
    }
    // Well-formed encodings still work.
    expect((await gw.admin('/admin/servers/%61lpha')).status).toBe(200);
  });
});

describe('the header timeout', () => {
  // A small limit so the test takes a second, not 20: what is checked is that the connection is
  // closed at the limit (Node alone checks only every 30 s, which made 20 s into about 29 s).
  it('closes a connection that sent half its headers at the limit', { timeout: 30_000 }, async () => {
    const limit = 600;
    const gw = await start({}, { limits: { headersTimeoutMs: limit } });
    const { port } = new URL(gw.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const started = performance.now();
    socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: application/json\r\n`);
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const elapsed = performance.now() - started;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(elapsed).toBeGreaterThanOrEqual(limit - 50);
    // Checked ten times per limit: closed within a tenth of it (plus scheduling on a busy machine).
    expect(elapsed).toBeLessThan(limit * 2);
  });

  it('lets a client that sends its headers in time through', async () => {
    const gw = await start({}, { limits: { headersTimeoutMs: 600 } });
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});
