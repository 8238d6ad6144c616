/**
 * Sessions are a shared resource: every kind counts (aggregate, bridged, pass-through over
 * streamable HTTP and legacy SSE), each token gets a share below the gateway's total, and a
 * session that carries no request for the idle time is closed, held-open SSE streams too.
 * Limits are lowered here (settings) so a test reaches them with a handful of sessions.
 */
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLooseHttp, type LooseHttpBackend } from '../fixtures/loose-server.mjs';
import { auditEvents } from '../support/audit-events.js';
import { initializeBody, MCP_HEADERS } from '../support/raw-mcp.js';
import { openRawSse, type RawSse } from '../support/raw-sse.js';
import { bearer, clientPool, FIXTURE_SERVER, startGateway, type RunningGateway } from './harness.js';

const pool = clientPool();
const streams: RawSse[] = [];
const backends: LooseHttpBackend[] = [];
const gateways: RunningGateway[] = [];

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  await pool.closeAll();
});
afterAll(async () => {
  await Promise.allSettled(gateways.map((g) => g.stop()));
  await Promise.allSettled(backends.map((b) => b.stop()));
});

async function gatewayWith(limits: Record<string, number>): Promise<{ gw: RunningGateway; json: LooseHttpBackend; legacy: LooseHttpBackend }> {
  const json = await startLooseHttp({ framing: 'json' });
  const legacy = await startLooseHttp({ framing: 'legacy-sse' });
  backends.push(json, legacy);
  const gw = await startGateway(
    {
      fx: { command: 'node', args: [FIXTURE_SERVER], env: { FIXTURE_LABEL: 'fx' } },
      json: { type: 'http', url: json.url },
      legacy: { type: 'sse', url: legacy.url },
    },
    { limits },
  );
  gateways.push(gw);
  return { gw, json, legacy };
}

async function sse(gw: RunningGateway, path: string, secret: string): Promise<RawSse> {
  const stream = await openRawSse(`${gw.url}${path}`, bearer(secret));
  streams.push(stream);
  return stream;
}

function initialize(gw: RunningGateway, path: string, secret: string): Promise<Response> {
  return fetch(`${gw.url}${path}`, { method: 'POST', headers: { ...MCP_HEADERS, ...bearer(secret) }, body: initializeBody(1) });
}

describe('session limits', () => {
  let gw: RunningGateway;

  beforeAll(async () => {
    ({ gw } = await gatewayWith({ maxSessions: 5, maxSessionsPerToken: 3 }));
  });

  it("gives each token a share of the sessions, counting every kind, and refuses the next with 503 naming the limit", async () => {
    const greedy = await gw.createToken('greedy');
    const aggregate = await pool.connect(`${gw.url}/mcp`, { token: greedy.secret });
    await pool.connect(`${gw.url}/servers/json/mcp`, { token: greedy.secret });
    expect((await sse(gw, '/servers/legacy/sse', greedy.secret)).status).toBe(200);

    const refusals = [
      await initialize(gw, '/mcp', greedy.secret),
      await initialize(gw, '/servers/fx/mcp', greedy.secret),
      await initialize(gw, '/servers/json/mcp', greedy.secret),
      (await fetch(`${gw.url}/servers/fx/sse`, { headers: { ...bearer(greedy.secret), accept: 'text/event-stream' } })),
      (await fetch(`${gw.url}/servers/legacy/sse`, { headers: { ...bearer(greedy.secret), accept: 'text/event-stream' } })),
    ];
    const message = 'too many open sessions for token "greedy" (its limit is 3, maxSessionsPerToken); close one or try again later';
    for (const refusal of refusals) {
      expect(refusal.status).toBe(503);
      expect(((await refusal.json()) as { error: { message: string } }).error.message).toBe(message);
    }
    const [audited] = await auditEvents(gw.audit, (e) => e.error?.message === message, refusals.length);
    expect(audited).toMatchObject({ kind: 'request', outcome: 'denied', error: { code: 503 }, client: { tokenName: 'greedy' } });

    // Another token still gets in; and a session closed frees its slot.
    const other = await gw.createToken('other');
    expect((await initialize(gw, '/servers/fx/mcp', other.secret)).status).toBe(200);
    await (aggregate.transport as StreamableHTTPClientTransport).terminateSession();
    expect((await initialize(gw, '/servers/json/mcp', greedy.secret)).status).toBe(200);
  });

  it('counts pass-through sessions against the gateway total', async () => {
    // A gateway of its own: the sessions of the test above are still open.
    const { gw: fresh } = await gatewayWith({ maxSessions: 5, maxSessionsPerToken: 3 });
    const tokens = await Promise.all(['one', 'two', 'three'].map((name) => fresh.createToken(name)));
    const opened: number[] = [];
    for (const token of tokens) {
      opened.push((await initialize(fresh, '/servers/json/mcp', token.secret)).status);
      opened.push((await sse(fresh, '/servers/legacy/sse', token.secret)).status);
    }
    expect(opened).toEqual([200, 200, 200, 200, 200, 503]);
    const refused = await initialize(fresh, '/mcp', tokens[0]!.secret);
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      'too many open sessions (the limit is 5, maxSessions); close a session or try again later',
    );
  });
});

describe('idle sessions', () => {
  it('closes SSE streams and pass-through sessions that carry no request for the idle time', async () => {
    const { gw, json, legacy } = await gatewayWith({ sessionIdleMs: 1_000 });
    const secret = gw.clientToken!;
    const held = [await sse(gw, '/sse', secret), await sse(gw, '/servers/fx/sse', secret), await sse(gw, '/servers/legacy/sse', secret)];
    for (const stream of held) await stream.endpoint();
    const passthrough = await pool.connect(`${gw.url}/servers/json/mcp`);
    const sessionId = (passthrough.transport as StreamableHTTPClientTransport).sessionId!;
    const legacyClosed = legacy.closed.length;

    await expect.poll(() => held.map((s) => s.ended()), { timeout: 5_000 }).toEqual([true, true, true]);
    await expect.poll(() => json.closed, { timeout: 5_000 }).toContain(sessionId);
    expect(legacy.closed.length).toBeGreaterThan(legacyClosed);
    const stale = await fetch(`${gw.url}/servers/json/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...bearer(secret), 'mcp-session-id': sessionId },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(stale.status).toBe(404);
  });
});
