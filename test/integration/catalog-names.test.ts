/**
 * A backend that matches tool names loosely (case-insensitive, trimmed, NULs dropped) would run
 * a blocked tool called by a near-miss of its name. The gateway refuses, on every way through
 * it, any `tools/call` whose name is not exactly an allowed tool of the backend's catalog, so
 * such a name never reaches the backend.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLooseHttp, type LooseHttpBackend } from '../fixtures/loose-server.mjs';
import { auditEvents } from '../support/audit-events.js';
import { clientAuth, clientPool, makeCallLog, startGateway, text, type RunningGateway } from './harness.js';
import { fileURLToPath } from 'node:url';

const LOOSE_SERVER = fileURLToPath(new URL('../fixtures/loose-server.mjs', import.meta.url));
const NEAR_MISSES = ['secret_tool', 'SECRET_TOOL', 'Secret_Tool ', 'Secret_Tool\0'];

let gw: RunningGateway;
let callLog: Awaited<ReturnType<typeof makeCallLog>>;
const http: Record<string, LooseHttpBackend> = {};
const pool = clientPool();
const modernClients: Client[] = [];

beforeAll(async () => {
  callLog = await makeCallLog();
  http.json = await startLooseHttp({ framing: 'json' });
  http.sse = await startLooseHttp({ framing: 'sse' });
  http.legacy = await startLooseHttp({ framing: 'legacy-sse', label: 'legacy' });
  const blocked = { toolFilter: { block: ['Secret_Tool'] } };
  gw = await startGateway({
    stdio: { command: 'node', args: [LOOSE_SERVER], env: { FIXTURE_LABEL: 'stdio', FIXTURE_CALL_LOG: callLog.path }, ...blocked },
    json: { type: 'http', url: http.json.url, ...blocked },
    sse: { type: 'http', url: http.sse.url, ...blocked },
    legacy: { type: 'sse', url: http.legacy.url, ...blocked },
  });
});
afterEach(async () => {
  await pool.closeAll();
  await Promise.allSettled(modernClients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await gw?.stop();
  await Promise.allSettled(Object.values(http).map((b) => b.stop()));
  await callLog?.remove();
});

/** What each backend ran, by server name. */
async function ran(server: string): Promise<string[]> {
  if (server === 'stdio') return (await callLog.read().catch(() => '')).split('\n').filter(Boolean).map((line) => line.replace(/^stdio:/, ''));
  return [...http[server]!.calls];
}

async function connect(path: string, kind: 'streamable' | 'sse' | 'modern'): Promise<Client> {
  const url = `${gw.url}${path}`;
  if (kind !== 'modern') return pool.connect(url, { sse: kind === 'sse' });
  const client = new Client({ name: 'modern-client', version: '2.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: clientAuth(url) } }));
  modernClients.push(client);
  return client;
}

const WAYS = [
  { way: 'aggregate /mcp', server: 'stdio', path: '/mcp', kind: 'streamable' as const, prefix: 'stdio__' },
  { way: 'aggregate /mcp to a pass-through backend', server: 'json', path: '/mcp', kind: 'streamable' as const, prefix: 'json__' },
  { way: 'bridged /servers/stdio/mcp', server: 'stdio', path: '/servers/stdio/mcp', kind: 'streamable' as const, prefix: '' },
  { way: 'bridged /servers/stdio/sse', server: 'stdio', path: '/servers/stdio/sse', kind: 'sse' as const, prefix: '' },
  { way: 'bridged /servers/stdio/mcp, 2026-07-28 client', server: 'stdio', path: '/servers/stdio/mcp', kind: 'modern' as const, prefix: '' },
  { way: 'pass-through /servers/json/mcp (JSON answers)', server: 'json', path: '/servers/json/mcp', kind: 'streamable' as const, prefix: '' },
  { way: 'pass-through /servers/sse/mcp (SSE-framed answers)', server: 'sse', path: '/servers/sse/mcp', kind: 'streamable' as const, prefix: '' },
  { way: 'pass-through /servers/legacy/sse (legacy SSE)', server: 'legacy', path: '/servers/legacy/sse', kind: 'sse' as const, prefix: '' },
];

describe('tool names not in the catalog', () => {
  it.each(WAYS)('are refused on $way and never reach the backend', async ({ server, path, kind, prefix }) => {
    const client = await connect(path, kind);
    const before = (await ran(server)).length;
    const target = `${prefix}Secret_Tool\0`;
    const audited = (await gw.audit.query({ limit: 1000 })).items.filter((e) => e.target === target).length;
    for (const name of NEAR_MISSES) {
      await expect(client.callTool({ name: `${prefix}${name}`, arguments: {} }), JSON.stringify(name)).rejects.toThrow(/not found/);
    }
    expect(text(await client.callTool({ name: `${prefix}echo`, arguments: { message: 'exact' } }))).toBe(`${server}: exact`);
    expect((await ran(server)).slice(before)).toEqual(['echo']);
    const refused = await auditEvents(gw.audit, (e) => e.kind === 'request' && e.method === 'tools/call' && e.target === target, audited + 1);
    expect(refused[0]).toMatchObject({ outcome: 'rpc_error', error: { code: -32602 } });
  });
});
