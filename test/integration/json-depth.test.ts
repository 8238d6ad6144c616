/**
 * Deeply nested JSON (issue 16, item 7): refused where the gateway reads the body, on every way
 * through it, with a JSON-RPC invalid-request error that names the depth limit, and audited. The
 * backend never sees it and the session carries on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../main/core/audit/audit-event.js';
import { DEFAULT_LIMITS } from '../../main/core/security/limits.js';
import { startEverythingHttp, type RunningBackend } from '../fixtures/backends.js';
import { clientAuth, clientPool, FIXTURE_SERVER, startGateway, text, type RunningGateway } from './harness.js';

const pool = clientPool();
let gw: RunningGateway;
let web: RunningBackend;
let legacy: RunningBackend;

beforeAll(async () => {
  [web, legacy] = await Promise.all([startEverythingHttp('streamableHttp'), startEverythingHttp('sse')]);
  gw = await startGateway({
    alpha: { command: process.execPath, args: [FIXTURE_SERVER], env: { FIXTURE_LABEL: 'alpha' } },
    web: { type: 'http', url: web.url },
    legacy: { type: 'sse', url: legacy.url },
  });
}, 60_000);

afterAll(async () => {
  await pool.closeAll();
  await gw?.stop();
  await Promise.allSettled([web?.stop(), legacy?.stop()]);
});

/** A `tools/call` whose arguments nest `depth` objects deep, as text (JSON.stringify could not build it). */
function deepCall(tool: string, depth: number, id = 7): string {
  const args = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${tool}","arguments":${args}}}`;
}

const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gw.url}${path}`, { method: 'POST', headers: { ...clientAuth(gw.url), ...MCP_HEADERS, ...headers }, body });
}

/** The session id of an SDK client connected to `path` (streamable HTTP). */
async function sessionOf(path: string): Promise<string> {
  const client = await pool.connect(`${gw.url}${path}`);
  return (client.transport as { sessionId?: string }).sessionId!;
}

/** Opens a legacy SSE stream on `path` and answers the message URL it announces; the stream stays open. */
async function sseMessageUrl(path: string): Promise<{ url: string; close(): Promise<void> }> {
  const res = await fetch(`${gw.url}${path}`, { headers: { ...clientAuth(gw.url), accept: 'text/event-stream' } });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let seen = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the SSE stream of ${path} ended before its endpoint event: ${seen}`);
    seen += decoder.decode(value, { stream: true });
    const match = /event: endpoint\r?\ndata: (\S+)/.exec(seen);
    if (match) return { url: match[1]!, close: () => reader.cancel() };
  }
}

async function deniedEvents(): Promise<AuditEvent[]> {
  await gw.audit.flush();
  let buffer = '';
  for await (const chunk of gw.audit.export({ outcome: ['denied'] }, 'jsonl')) buffer += chunk;
  return buffer.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as AuditEvent);
}

async function expectRefused(res: Response): Promise<void> {
  expect(res.status).toBe(400);
  const body = (await res.json()) as { error: { code: number; message: string } };
  expect(body.error.code).toBe(-32600);
  expect(body.error.message).toMatch(new RegExp(`nested deeper than ${DEFAULT_LIMITS.maxJsonDepth} levels`));
  expect(body.error.message).toMatch(/maxJsonDepth/);
}

const DEPTH = 4_200;

describe('deeply nested JSON is refused by the gateway, on every way', () => {
  it('aggregate /mcp: 400 invalid request naming the limit, audited, and the session carries on', async () => {
    const client = await pool.connect(`${gw.url}/mcp`);
    const sessionId = (client.transport as { sessionId?: string }).sessionId!;
    await expectRefused(await post('/mcp', deepCall('alpha__echo', DEPTH), { 'mcp-session-id': sessionId }));
    expect(text(await client.callTool({ name: 'alpha__echo', arguments: { message: 'after' } }))).toBe('alpha: after');
    const events = await deniedEvents();
    expect(events).toContainEqual(
      expect.objectContaining({ way: 'aggregate', method: 'tools/call', client: expect.objectContaining({ tokenName: 'test-client' }), error: expect.objectContaining({ code: -32600, message: expect.stringMatching(/nested deeper/) }) }),
    );
  });

  it('a depth at the limit still goes through', async () => {
    const sessionId = await sessionOf('/mcp');
    // The envelope takes 2 levels (the message and its params): the arguments may take the rest.
    const res = await post('/mcp', deepCall('alpha__echo', DEFAULT_LIMITS.maxJsonDepth - 2), { 'mcp-session-id': sessionId });
    expect(res.status).toBe(200);
    // The fixture's echo wants a message: the backend answered (an invalid-params error), the gateway did not refuse.
    expect(await res.text()).not.toMatch(/nested deeper/);
  });

  it('aggregate /sse messages: refused on the POST, audited', async () => {
    const stream = await sseMessageUrl('/sse');
    await expectRefused(await post(stream.url, deepCall('alpha__echo', DEPTH)));
    await stream.close();
    const events = await deniedEvents();
    expect(events.filter((e) => e.way === 'aggregate' && e.method === 'tools/call' && /nested deeper/.test(e.error?.message ?? ''))).toHaveLength(2);
  });

  it('bridged per-server (stdio) /mcp and /sse: refused, audited with the server, the backend carries on', async () => {
    const sessionId = await sessionOf('/servers/alpha/mcp');
    await expectRefused(await post('/servers/alpha/mcp', deepCall('echo', DEPTH), { 'mcp-session-id': sessionId }));
    const stream = await sseMessageUrl('/servers/alpha/sse');
    await expectRefused(await post(stream.url, deepCall('echo', DEPTH)));
    await stream.close();
    const client = await pool.connect(`${gw.url}/servers/alpha/mcp`);
    expect(text(await client.callTool({ name: 'echo', arguments: { message: 'after' } }))).toBe('alpha: after');
    const events = (await deniedEvents()).filter((e) => e.server === 'alpha' && /nested deeper/.test(e.error?.message ?? ''));
    expect(events).toHaveLength(2);
    expect(events.every((e) => e.way === 'per-server' && e.method === 'tools/call')).toBe(true);
  });

  it('pass-through (streamable HTTP and legacy SSE backends): refused before the backend, audited with the server', async () => {
    const sessionId = await sessionOf('/servers/web/mcp');
    await expectRefused(await post('/servers/web/mcp', deepCall('echo', DEPTH), { 'mcp-session-id': sessionId }));
    const stream = await sseMessageUrl('/servers/legacy/sse');
    await expectRefused(await post(stream.url, deepCall('echo', DEPTH)));
    await stream.close();
    const client = await pool.connect(`${gw.url}/servers/web/mcp`);
    expect(text(await client.callTool({ name: 'echo', arguments: { message: 'after' } }))).toContain('after');
    const events = (await deniedEvents()).filter((e) => /nested deeper/.test(e.error?.message ?? ''));
    expect(events.filter((e) => e.server === 'web' && e.way === 'per-server')).toHaveLength(1);
    expect(events.filter((e) => e.server === 'legacy' && e.way === 'per-server')).toHaveLength(1);
  });
});
