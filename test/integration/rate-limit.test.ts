/**
 * The per-token rate limit as shipped (issue 16, item 1): with the default limits, one
 * person's clients never meet it, however parallel; a runaway client is refused with 429 and
 * `Retry-After`, and the refusal is on the audit timeline; notifications, `ping` and the
 * client's answers to server requests cost nothing.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../main/core/audit/audit-event.js';
import { bearer, clientPool, FIXTURE_SERVER, startGateway, text, type RunningGateway } from './harness.js';

const pool = clientPool();
const running: RunningGateway[] = [];

afterEach(async () => {
  await pool.closeAll();
  await Promise.allSettled(running.splice(0).map((g) => g.stop()));
});

async function start(options: Parameters<typeof startGateway>[1] = {}): Promise<RunningGateway> {
  const gw = await startGateway({ alpha: { command: process.execPath, args: [FIXTURE_SERVER], env: { FIXTURE_LABEL: 'alpha' } } }, options);
  running.push(gw);
  return gw;
}

async function auditEvents(gw: RunningGateway, filter: Parameters<RunningGateway['audit']['export']>[0]): Promise<AuditEvent[]> {
  await gw.audit.flush();
  let buffer = '';
  for await (const chunk of gw.audit.export(filter, 'jsonl')) buffer += chunk;
  return buffer.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as AuditEvent);
}

/** A call's outcome as a user sees it: its text, or the error it failed with. */
async function echo(client: Client, message: string): Promise<string> {
  return client.callTool({ name: 'alpha__echo', arguments: { message } }, { timeout: 60_000 }).then(
    (result) => text(result),
    (error: unknown) => `failed: ${String(error)}`,
  );
}

describe('the default rate limit and one person’s clients', () => {
  it('never refuses one token running 64 sessions × 20 calls while another session calls flat out for 2 s', { timeout: 180_000 }, async () => {
    const gw = await start();
    const sessions: Client[] = [];
    for (let i = 0; i < 64; i++) sessions.push(await pool.connect(`${gw.url}/mcp`, { name: `agent-${i}` }));
    const flatOut = await pool.connect(`${gw.url}/mcp`, { name: 'flat-out' });

    const wrong: string[] = [];
    const burst = sessions.map(async (client, s) => {
      for (let c = 0; c < 20; c++) {
        const answer = await echo(client, `s${s}-c${c}`);
        if (answer !== `alpha: s${s}-c${c}`) wrong.push(answer);
      }
    });
    let flatOutCalls = 0;
    const until = Date.now() + 2_000;
    const loop = (async () => {
      while (Date.now() < until) {
        const answer = await echo(flatOut, `flat-${flatOutCalls}`);
        if (answer !== `alpha: flat-${flatOutCalls}`) wrong.push(answer);
        flatOutCalls++;
      }
    })();
    await Promise.all([...burst, loop]);

    expect(wrong).toEqual([]);
    expect(flatOutCalls).toBeGreaterThan(0);
    expect(await auditEvents(gw, { outcome: ['rate_limited'] })).toEqual([]);
  });
});

describe('a runaway client', () => {
  // Thousands of requests a second: an HTTP loop in this process cannot go that fast (it waits
  // for answers the gateway computes on the same CPU, a few hundred a second on a busy test
  // machine), so the loop sends JSON-RPC batches of a thousand requests, which count one by one.
  it('is refused with 429 and Retry-After at thousands of requests a second, and the refusals are audited without flooding the timeline', { timeout: 120_000 }, async () => {
    const gw = await start();
    const runaway = await gw.createToken('runaway-script');
    const started = Date.now();
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let batch = 0; batch < 40; batch++) {
      const res = await fetch(`${gw.url}/mcp`, {
        method: 'POST',
        // A session that does not exist: each request still costs the gateway a read and an answer.
        headers: { ...bearer(runaway.secret), 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': 'no-such-session' },
        body: JSON.stringify(Array.from({ length: 1_000 }, (_, i) => ({ jsonrpc: '2.0', id: batch * 1_000 + i, method: 'tools/list' }))),
      });
      const body = await res.text();
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after');
        expect(JSON.parse(body)).toMatchObject({ error: { message: expect.stringMatching(/^too many requests for token "runaway-script": the limit is 1000 a second, bursts of 5000/) } });
      }
    }
    const seconds = (Date.now() - started) / 1000;
    const refusedCount = statuses.filter((s) => s === 429).length;
    // 40,000 requests within seconds: the burst of 5,000 and what refilled (1,000 a second) pass, the rest is refused.
    expect(statuses.slice(0, 5).every((s) => s !== 429)).toBe(true);
    expect(refusedCount).toBeGreaterThanOrEqual(40 - 5 - Math.ceil(seconds));
    expect(refusedCount).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);

    // The default client token is untouched: each token has its own bucket.
    const other = await pool.connect(`${gw.url}/mcp`);
    expect(text(await other.callTool({ name: 'alpha__echo', arguments: { message: 'still here' } }))).toBe('alpha: still here');

    // On the timeline: the refusals with the token's name, at most two events a second (the
    // first refusal, then a count of the others), not one per refused request.
    await gw.gateway.stop();
    const refused = await auditEvents(gw, { outcome: ['rate_limited'] });
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThanOrEqual(2 * Math.ceil((Date.now() - started) / 1000) + 2);
    expect(refused.every((e) => e.client?.tokenName === 'runaway-script' && e.error?.code === 429 && e.way === 'aggregate')).toBe(true);
    expect(refused[0]!.error!.message).toMatch(/^too many requests for token "runaway-script"/);
    // Each event stands for one refusal, or says how many it gathers ("N more refused within 1 s").
    const counted = refused.map((e) => Number(/^(\d+) more refused/.exec(e.error!.message)?.[1] ?? 1)).reduce((a, b) => a + b, 0);
    expect(counted).toBe(refusedCount);
  });
});

describe('what counts against the rate', () => {
  // A tiny limit, set as a user would in Settings (the registry), so that a handful of counted
  // requests would be refused: the pings, notifications, answers and stream GETs below must not count.
  it('counts requests, not ping, notifications or the client’s answers to server requests', { timeout: 60_000 }, async () => {
    const gw = await start();
    const set = await gw.admin('/admin/settings', { method: 'PUT', body: JSON.stringify({ limits: { rateBurst: 4, ratePerSecond: 0.01 } }) });
    expect(set.status).toBe(200);
    // initialize takes 1 of the 4 (notifications/initialized and the session's GET stream are free).
    const client = await pool.connect(`${gw.url}/mcp`);
    for (let i = 0; i < 40; i++) await client.ping();
    for (let i = 0; i < 40; i++) await client.notification({ method: 'notifications/cancelled', params: { requestId: `gone-${i}`, reason: 'test' } });
    const sessionId = (client.transport as { sessionId?: string }).sessionId!;
    const post = async (message: unknown): Promise<Response> => {
      const res = await gw.request('/mcp', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
        body: JSON.stringify(message),
      });
      return res;
    };
    // Answers to server requests (here to ids the server never asked: still answers, still free).
    for (let i = 0; i < 20; i++) {
      const res = await post({ jsonrpc: '2.0', id: `srv-${i}`, result: {} });
      await res.arrayBuffer();
      expect(res.status).not.toBe(429);
    }
    // Three more requests fit; the fourth is refused, with its own id.
    for (let i = 0; i < 3; i++) {
      const res = await post({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'alpha__echo', arguments: { message: `m${i}` } } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(`alpha: m${i}`);
    }
    const refused = await post({ jsonrpc: '2.0', id: 99, method: 'tools/list' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await refused.json()).toMatchObject({ id: 99, error: { message: expect.stringMatching(/too many requests for token "test-client": the limit is 0.01 a second, bursts of 4/) } });
    // Still free while refused: a ping gets its answer.
    await client.ping();
  });
});
