import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientPool, FIXTURE_SERVER, makeCallLog, SERVERS, startGateway, text, type RunningGateway } from './harness.js';
import { isAlive } from '../support/processes.js';


describe('per-server endpoints of stdio servers', () => {
  let gw: RunningGateway;
  let callLog: Awaited<ReturnType<typeof makeCallLog>>;
  const pool = clientPool();
  const connect = pool.connect;

  beforeAll(async () => {
    callLog = await makeCallLog();
    gw = await startGateway({
      everything: { command: 'node', args: [SERVERS.everything] },
      guarded: {
        command: 'node',
        args: [FIXTURE_SERVER, '--garbage-stdout'],
        env: { FIXTURE_LABEL: 'guarded', FIXTURE_CALL_LOG: callLog.path },
        toolFilter: { allow: ['whoami', 'echo', 'delete_*'], block: ['delete_*'] },
      },
      isolated: { command: 'node', args: [FIXTURE_SERVER], env: { FIXTURE_LABEL: 'isolated' }, isolation: 'per-client' },
      off: { command: 'node', args: [FIXTURE_SERVER], enabled: false },
    });
  });
  afterEach(async () => {
    await pool.closeAll();
  });
  afterAll(async () => {
    await gw?.stop();
    await callLog?.remove();
  });

  it('bridges /servers/<name>/mcp to the process with un-namespaced names', async () => {
    const client = await connect(`${gw.url}/servers/everything/mcp`);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('echo');
    expect(names.some((n) => n.includes('__'))).toBe(false);
    expect(text(await client.callTool({ name: 'echo', arguments: { message: 'direct' } }))).toBe('Echo: direct');
    expect(client.getServerVersion()?.name).toMatch(/everything/i);
  });

  it('relays progress and sampling on the per-server endpoint too', async () => {
    const client = await connect(`${gw.url}/servers/everything/mcp`, { capabilities: { sampling: {} } });
    client.setRequestHandler('sampling/createMessage', async () => ({
      model: 'per-server-model',
      role: 'assistant',
      content: { type: 'text', text: 'ok' },
    }));
    const progress: number[] = [];
    await client.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 2 } },
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(progress).toEqual([1, 2]);
    const sampled = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'x', maxTokens: 3 } });
    expect(text(sampled)).toContain('per-server-model');
  });

  it('applies the tool filter: absent from the list, refused on call, never forwarded', async () => {
    const client = await connect(`${gw.url}/servers/guarded/mcp`);
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(['echo', 'whoami']);
    const refused = await client.callTool({ name: 'delete_everything', arguments: {} });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain('disabled by the gateway\'s tool filter for server "guarded"');
    expect(await client.callTool({ name: 'add_tool', arguments: {} })).toMatchObject({ isError: true });
    await client.callTool({ name: 'whoami', arguments: {} });
    const log = await callLog.read();
    expect(log).toContain('guarded:whoami');
    expect(log).not.toContain('delete_everything');
    expect(log).not.toContain('add_tool');
  });

  it('keeps what a server printed on stdout that was not JSON-RPC, and still talks to it', () => {
    expect(gw.gateway.serverLogs('guarded')?.join('\n')).toContain('[stdout] Starting fixture server');
    expect(gw.gateway.serverView('guarded')?.status).toBe('running');
  });

  it('serves the legacy SSE transport for a stdio server', async () => {
    const client = await connect(`${gw.url}/servers/everything/sse`, { sse: true });
    expect(text(await client.callTool({ name: 'echo', arguments: { message: 'over sse' } }))).toBe('Echo: over sse');
  });

  it('gives each client session its own process with isolation "per-client", and reaps it', async () => {
    const a = await connect(`${gw.url}/mcp`);
    const b = await connect(`${gw.url}/servers/isolated/mcp`);
    const pidA = JSON.parse(text(await a.callTool({ name: 'isolated__whoami', arguments: {} }))).pid as number;
    const pidB = JSON.parse(text(await b.callTool({ name: 'whoami', arguments: {} }))).pid as number;
    expect(pidA).not.toBe(pidB);
    expect(isAlive(pidA)).toBe(true);
    await (a.transport as StreamableHTTPClientTransport).terminateSession();
    await a.close();
    pool.forget(a);
    await expect.poll(() => isAlive(pidA), { timeout: 10_000 }).toBe(false);
    expect(isAlive(pidB)).toBe(true);
  });

  it('answers unknown, disabled and unknown-session requests with clear errors', async () => {
    const unknown = await gw.request(`/servers/nope/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.message).toBe('unknown server "nope"');
    const disabled = await gw.request(`/servers/off/mcp`, { method: 'POST', body: '{}' });
    expect(disabled.status).toBe(404);
    expect((await disabled.json()).error.message).toBe('server "off" is disabled');
    const stale = await gw.request(`/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': 'not-a-session' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(stale.status).toBe(404);
    const noSession = await gw.request(`/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(noSession.status).toBe(400);
    const garbage = await gw.request(`/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    expect(garbage.status).toBe(400);
    expect((await garbage.json()).error.code).toBe(-32700);
  });

  it('refuses an oversized body with 413 and keeps serving', async () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const res = await gw.request(`/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(res.status).toBe(413);
    const client = await connect(`${gw.url}/mcp`);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
  });
});
