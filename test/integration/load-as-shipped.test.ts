import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../main/core/audit/audit-event.js';
import { startEverythingHttp, type RunningBackend } from '../fixtures/backends.js';
import { clientPool, SERVERS, startGateway, text, type RunningGateway } from './harness.js';

/**
 * Issue 16's load test, against the gateway as a user runs it: one client token, the default
 * limits, audit on. 64 sessions × 50 calls, half on the aggregate (alternating a stdio backend
 * and a streamable-HTTP backend that answers in SSE framing), half on the per-server
 * pass-through to that HTTP backend. Every call gets its own answer, none is refused, and the
 * audit holds exactly one `ok` event per call, each with that call's own arguments.
 */

const SESSIONS = 64;
const CALLS_PER_SESSION = 50;

let gw: RunningGateway;
let web: RunningBackend;
const pool = clientPool();

beforeAll(async () => {
  // server-everything in streamableHttp mode answers every POST as an SSE stream.
  web = await startEverythingHttp('streamableHttp');
  gw = await startGateway({
    local: { command: 'node', args: [SERVERS.everything] },
    web: { type: 'http', url: web.url },
  });
}, 60_000);

afterAll(async () => {
  await pool.closeAll();
  await gw?.stop();
  await web?.stop();
});

describe('one client token at full tilt, default limits', () => {
  it('answers 64 sessions × 50 calls on the aggregate and the pass-through, each with its own answer, each audited once as ok', { timeout: 240_000 }, async () => {
    const sessions: Array<{ client: Client; way: 'aggregate' | 'passthrough' }> = [];
    for (let i = 0; i < SESSIONS; i++) {
      const way = i % 2 === 0 ? 'aggregate' : 'passthrough';
      const url = way === 'aggregate' ? `${gw.url}/mcp` : `${gw.url}/servers/web/mcp`;
      sessions.push({ client: await pool.connect(url, { name: `agent-${i}` }), way });
    }
    const sent = new Set<string>();
    const wrong: string[] = [];
    const errors: string[] = [];

    const run = async ({ client, way }: (typeof sessions)[number], s: number): Promise<void> => {
      for (let c = 0; c < CALLS_PER_SESSION; c++) {
        const message = `s${s}-c${c}`;
        sent.add(message);
        const name = way === 'passthrough' ? 'echo' : (s + c) % 2 === 0 ? 'local__echo' : 'web__echo';
        try {
          const result = await client.callTool({ name, arguments: { message } }, { timeout: 60_000 });
          if ((result as { isError?: boolean }).isError) errors.push(`${name} ${message}: ${text(result)}`);
          else if (text(result) !== `Echo: ${message}`) wrong.push(`${message} got ${text(result)}`);
        } catch (error) {
          errors.push(`${name} ${message}: ${(error as Error).message}`);
        }
      }
    };
    await Promise.all(sessions.map((session, s) => run(session, s)));

    expect(errors.slice(0, 5)).toEqual([]);
    expect(wrong.slice(0, 5)).toEqual([]);

    await gw.audit.flush();
    let buffer = '';
    for await (const chunk of gw.audit.export({ method: ['tools/call'] }, 'jsonl')) buffer += chunk;
    const calls = buffer.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as AuditEvent);
    const recorded = calls.map((e) => (e.args as { message?: string } | undefined)?.message ?? '');
    expect(recorded).toHaveLength(SESSIONS * CALLS_PER_SESSION);
    expect(new Set(recorded)).toEqual(sent);
    expect(calls.filter((e) => e.outcome !== 'ok').map((e) => `${e.way} ${e.server} ${e.outcome}`).slice(0, 5)).toEqual([]);
    expect(calls.filter((e) => e.way === 'per-server')).toHaveLength((SESSIONS / 2) * CALLS_PER_SESSION);
    // Nothing was refused for the token's rate or its share of sessions.
    expect((await gw.audit.query({ outcome: ['rate_limited', 'denied'] })).items).toEqual([]);
  });
});
