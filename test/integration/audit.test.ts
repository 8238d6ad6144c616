import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../main/core/audit/audit-event.js';
import type { AuditStore } from '../../main/core/audit/audit-store.js';
import { findPlaintext } from '../support/plaintext-scan.js';
import { getFreePort } from '../fixtures/backends.js';
import { bearer, clientPool, FIXTURE_SERVER, startGateway, text, type RunningGateway } from './harness.js';
// @ts-expect-error: a plain .mjs fixture without types
import { createModernServer } from '../fixtures/modern-server.mjs';

/**
 * The audit timeline against real situations: each outcome is produced the way a user would
 * meet it (a filtered tool, a tool error, an unknown tool, a slow backend, a backend that
 * dies, one that is down, one that answers HTTP 500), through both ways.
 */

const SECRET_ARG = 'sk-live-0123456789abcdef';

let gw: RunningGateway;
let audit: AuditStore;
let modernHttp: HttpServer;
let broken: HttpServer;
const pool = clientPool();

async function listen(server: HttpServer): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

beforeAll(async () => {
  const handler = toNodeHandler(createMcpHandler(() => createModernServer()));
  modernHttp = createServer((req, res) => void handler(req, res));
  broken = createServer((req, res) => {
    req.resume();
    res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
  });
  const modernUrl = await listen(modernHttp);
  const brokenUrl = await listen(broken);
  const downPort = await getFreePort();
  gw = await startGateway(
    {
      fx: { command: 'node', args: [FIXTURE_SERVER], toolFilter: { block: ['delete_*'] }, restart: 'never' },
      modern: { type: 'http', url: modernUrl, timeout: 500 },
      broken: { type: 'http', url: brokenUrl },
      down: { type: 'http', url: `http://127.0.0.1:${downPort}/mcp` },
    },
  );
  audit = gw.audit;
});

afterAll(async () => {
  await pool.closeAll();
  await gw?.stop();
  for (const server of [modernHttp, broken]) {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  }
});

/** The newest request event matching `where`, once it is there. */
async function eventWhere(where: Partial<AuditEvent>): Promise<AuditEvent> {
  let found: AuditEvent | undefined;
  await expect
    .poll(
      async () => {
        const page = await audit.query({ limit: 200 });
        found = page.items.find((e) => Object.entries(where).every(([k, v]) => (e as unknown as Record<string, unknown>)[k] === v));
        return found;
      },
      { timeout: 5000 },
    )
    .toBeDefined();
  return found!;
}

describe('audit timeline', () => {
  it('records a call with its client, target, redacted arguments, duration and sizes', async () => {
    const client = await pool.connect(`${gw.url}/mcp`, { name: 'audit-test-client' });
    await client.callTool({ name: 'fx__echo', arguments: { message: 'hello', apiToken: SECRET_ARG } });
    const event = await eventWhere({ method: 'tools/call', target: 'echo', server: 'fx' });
    expect(event).toMatchObject({ kind: 'request', way: 'aggregate', outcome: 'ok', client: { name: 'audit-test-client' } });
    expect(event.args).toEqual({ message: 'hello', apiToken: '[REDACTED]' });
    expect(event.durationMs).toBeGreaterThanOrEqual(0);
    expect(event.bytesIn).toBeGreaterThan(0);
    expect(event.bytesOut).toBeGreaterThan(0);
    expect(event.sessionId).toBeTruthy();
    expect(JSON.stringify(event)).not.toContain(SECRET_ARG);
    // The handshake and the client's notification are on the timeline too.
    await eventWhere({ method: 'initialize', sessionId: event.sessionId });
    await eventWhere({ kind: 'notification', method: 'notifications/initialized', sessionId: event.sessionId });
  });

  it('tells filtered calls, tool errors and protocol errors apart', async () => {
    const client = await pool.connect(`${gw.url}/mcp`);
    await client.callTool({ name: 'fx__delete_everything', arguments: {} });
    expect(await eventWhere({ target: 'delete_everything' })).toMatchObject({ outcome: 'filtered', server: 'fx' });

    expect(text(await client.callTool({ name: 'modern__fail', arguments: {} }))).toContain('failed on purpose');
    expect(await eventWhere({ target: 'fail' })).toMatchObject({ outcome: 'tool_error', server: 'modern' });

    await expect(client.callTool({ name: 'nobody__nothing', arguments: {} })).rejects.toThrow();
    expect(await eventWhere({ target: 'nobody__nothing' })).toMatchObject({ outcome: 'rpc_error', error: { code: -32602 } });
  });

  it('tells a slow backend, a dead one, a down one and an HTTP 500 apart', async () => {
    const client = await pool.connect(`${gw.url}/mcp`);
    await expect(client.callTool({ name: 'modern__sleep', arguments: { ms: 3000 } })).rejects.toThrow();
    expect(await eventWhere({ target: 'sleep', way: 'aggregate' })).toMatchObject({ outcome: 'timeout', server: 'modern' });

    await expect(client.callTool({ name: 'fx__crash', arguments: {} })).rejects.toThrow(/fx/);
    expect(await eventWhere({ target: 'crash' })).toMatchObject({ outcome: 'backend_unreachable', server: 'fx' });
    // The process exit is on the same timeline.
    expect(await eventWhere({ kind: 'lifecycle', server: 'fx', event: 'exit' })).toMatchObject({ exitCode: 1 });

    const call = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: {} } };
    const post = (server: string): Promise<Response> =>
      gw.request(`/servers/${server}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': 'x' },
        body: JSON.stringify(call),
      });
    expect((await post('down')).status).toBeGreaterThanOrEqual(500);
    expect(await eventWhere({ server: 'down', method: 'tools/call' })).toMatchObject({ outcome: 'backend_unreachable', way: 'per-server' });
    // Between its failed starts the gateway answers 503 for "broken" itself (recorded as
    // backend_unreachable); once a request reaches the backend, its 500 is recorded as such.
    await expect.poll(async () => (await post('broken')).status, { timeout: 10_000, interval: 200 }).toBe(500);
    expect(await eventWhere({ server: 'broken', method: 'tools/call', outcome: 'backend_http_error' })).toMatchObject({ httpStatus: 500 });
  });

  it('records 2026-07-28 requests and backend lifecycle events', async () => {
    const client = new ModernClient({ name: 'modern-audit', version: '2.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new ModernTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: bearer(gw.clientToken!) } }));
    try {
      await client.callTool({ name: 'modern__echo', arguments: { message: 'from 2026' } });
    } finally {
      await client.close();
    }
    const event = await eventWhere({ target: 'echo', server: 'modern' });
    expect(event).toMatchObject({ outcome: 'ok', way: 'aggregate', client: { name: 'modern-audit' }, args: { message: 'from 2026' } });
    expect(await eventWhere({ kind: 'lifecycle', server: 'fx', event: 'start' })).toBeTruthy();
  });

  it('records a token reaching for a server outside its ACL as denied, with the token name, never the token', async () => {
    const guarded = await startGateway({ fx: { command: 'node', args: [FIXTURE_SERVER] }, other: { command: 'node', args: [FIXTURE_SERVER] } });
    const { secret } = await guarded.createToken('ci-bot', { servers: ['fx'] });
    try {
      const res = await fetch(`${guarded.url}/servers/other/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
      });
      expect(res.status).toBe(403);
      const page = await guarded.audit.query({ outcome: ['denied'] });
      expect(page.items).toHaveLength(1);
      expect(page.items[0]).toMatchObject({ server: 'other', way: 'per-server', client: { tokenName: 'ci-bot' } });
      await guarded.audit.flush();
      expect(await findPlaintext(guarded.dataDir, [secret])).toEqual([]);
    } finally {
      await guarded.stop();
    }
  });

  it('answers filtered queries, streams exports that parse back, and keeps secrets off disk', async () => {
    const page = (await (await gw.admin('/admin/audit?outcome=timeout&limit=5')).json()) as { items: AuditEvent[] };
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((e) => e.outcome === 'timeout')).toBe(true);

    const csv = await gw.admin('/admin/audit/export?format=csv&server=fx');
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="gatehouse-audit-.*\.csv"/);
    const rows = parseCsv(await csv.text(), { columns: true }) as Array<Record<string, string>>;
    expect(rows.length).toBeGreaterThan(2);
    expect(rows.every((r) => r.server === 'fx')).toBe(true);

    const jsonl = await (await gw.admin('/admin/audit/export?format=jsonl&server=fx')).text();
    const events = jsonl.trim().split('\n').map((line) => JSON.parse(line) as AuditEvent);
    expect(events.length).toBe(rows.length);

    await audit.flush();
    expect(await findPlaintext(gw.dataDir, [SECRET_ARG])).toEqual([]);
  });
});
