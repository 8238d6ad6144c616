/**
 * A call the backend never answers ends the same way on every way through the gateway: after
 * the gateway's call timeout (here shortened to 1 s, a setting), with the same error, a
 * `notifications/cancelled` to the backend, and a `timeout` on the audit timeline. The
 * pass-through ways are checked in passthrough.test.ts.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../support/audit-events.js';
import { clientAuth, clientPool, FIXTURE_SERVER, makeCallLog, startGateway, text, type RunningGateway } from './harness.js';

const CALL_TIMEOUT_MS = 1_000;
const TIMEOUT_MESSAGE = `server "fx" did not answer tools/call within ${CALL_TIMEOUT_MS} ms`;

let gw: RunningGateway;
let callLog: Awaited<ReturnType<typeof makeCallLog>>;
const pool = clientPool();
const modernClients: Client[] = [];

beforeAll(async () => {
  callLog = await makeCallLog();
  gw = await startGateway(
    { fx: { command: 'node', args: [FIXTURE_SERVER], env: { FIXTURE_LABEL: 'fx', FIXTURE_CALL_LOG: callLog.path } } },
    { limits: { toolCallTimeoutMs: CALL_TIMEOUT_MS } },
  );
});
afterEach(async () => {
  await pool.closeAll();
  await Promise.allSettled(modernClients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await gw?.stop();
  await callLog?.remove();
});

/** A 2026-07-28 client (no session; one request per call). */
async function connectModern(url: string): Promise<Client> {
  const client = new Client({ name: 'modern-client', version: '2.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: clientAuth(url) } }));
  modernClients.push(client);
  return client;
}

const WAYS = [
  { way: 'aggregate /mcp', path: '/mcp', tool: 'fx__never_returns', auditWay: 'aggregate' },
  { way: 'aggregate /sse', path: '/sse', tool: 'fx__never_returns', auditWay: 'aggregate', sse: true },
  { way: 'bridged /servers/fx/mcp', path: '/servers/fx/mcp', tool: 'never_returns', auditWay: 'per-server' },
  { way: 'bridged /servers/fx/sse', path: '/servers/fx/sse', tool: 'never_returns', auditWay: 'per-server', sse: true },
  { way: 'aggregate /mcp, 2026-07-28 client', path: '/mcp', tool: 'fx__never_returns', auditWay: 'aggregate', modern: true },
  { way: 'bridged /servers/fx/mcp, 2026-07-28 client', path: '/servers/fx/mcp', tool: 'never_returns', auditWay: 'per-server', modern: true },
];

describe('a call the backend never answers', () => {
  it.each(WAYS)('times out on $way with the gateway error, is cancelled upstream and audited', async ({ path, tool, auditWay, sse, modern }) => {
    const url = `${gw.url}${path}`;
    const client = modern ? await connectModern(url) : await pool.connect(url, { sse: sse ?? false });
    const before = (await callLog.read().catch(() => '')).split('\n').filter(Boolean).length;
    const audited = (await gw.audit.query({ limit: 1000 })).items.filter((e) => e.target === 'never_returns').length;
    const started = Date.now();
    await expect(client.callTool({ name: tool, arguments: {} }, { timeout: 20_000 })).rejects.toThrow(TIMEOUT_MESSAGE);
    expect(Date.now() - started).toBeGreaterThanOrEqual(CALL_TIMEOUT_MS - 50);
    await expect.poll(async () => (await callLog.read()).split('\n').filter(Boolean).slice(before)).toEqual(['fx:never_returns', 'fx:cancelled']);
    const events = await auditEvents(gw.audit, (e) => e.kind === 'request' && e.target === 'never_returns', audited + 1);
    expect(events[0]).toMatchObject({ outcome: 'timeout', way: auditWay, server: 'fx', error: { message: TIMEOUT_MESSAGE } });
    // The session (or the client) goes on.
    expect(text(await client.callTool({ name: tool.replace('never_returns', 'echo'), arguments: { message: 'after' } }))).toBe('fx: after');
  });
});
