import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@modelcontextprotocol/client';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../main/core/audit/audit-event.js';
import { AuditStore, auditDir } from '../../main/core/audit/audit-store.js';
import { clientPool, FIXTURE_SERVER, startGateway, text, type RunningGateway } from './harness.js';
// @ts-expect-error: a plain .mjs fixture without types
import { createModernServer } from '../fixtures/modern-server.mjs';

/**
 * A bounded load test: 64 client sessions × 50 calls across a stdio and an HTTP backend,
 * while the stdio backend is killed (-9) and comes back. Every call must settle: with its
 * own answer (never another call's) or with an error; and the audit must hold exactly one
 * event per call.
 */

const SESSIONS = 64;
const CALLS_PER_SESSION = 50;

let gw: RunningGateway;
let web: HttpServer;
const pool = clientPool();

beforeAll(async () => {
  const handler = toNodeHandler(createMcpHandler(() => createModernServer()));
  web = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(web.address() as AddressInfo).port}/mcp`;
  gw = await startGateway(
    {
      alpha: { command: 'node', args: [FIXTURE_SERVER], env: { FIXTURE_LABEL: 'alpha' } },
      web: { type: 'http', url },
    },
  );
});

afterAll(async () => {
  await pool.closeAll();
  await gw?.stop();
  web?.closeAllConnections();
  await new Promise((resolve) => web?.close(resolve));
});

describe('load with a backend killed mid-run', () => {
  it('answers every call with its own answer or an error, and audits each call exactly once', { timeout: 180_000 }, async () => {
    const clients: Client[] = [];
    for (let i = 0; i < SESSIONS; i++) clients.push(await pool.connect(`${gw.url}/mcp`, { name: `load-${i}` }));

    const alphaPid = gw.gateway.serverView('alpha')!.pid!;
    let wrong = 0;
    let failed = 0;
    let succeeded = 0;
    const sent = new Set<string>();
    let done = 0;
    const killAt = Math.floor((SESSIONS * CALLS_PER_SESSION) / 3);
    let killed = false;

    const session = async (client: Client, s: number): Promise<void> => {
      for (let c = 0; c < CALLS_PER_SESSION; c++) {
        const server = (s + c) % 2 === 0 ? 'alpha' : 'web';
        const message = `s${s}-c${c}`;
        sent.add(message);
        try {
          const result = await client.callTool({ name: `${server}__echo`, arguments: { message } }, { timeout: 20_000 });
          const expected = server === 'alpha' ? `alpha: ${message}` : `modern: ${message}`;
          if (text(result) === expected) succeeded++;
          else if ((result as { isError?: boolean }).isError) failed++;
          else wrong++;
        } catch {
          failed++;
        }
        done++;
        if (!killed && done >= killAt) {
          killed = true;
          process.kill(alphaPid, 'SIGKILL');
        }
      }
    };
    await Promise.all(clients.map((client, s) => session(client, s)));

    expect(killed).toBe(true);
    expect(wrong).toBe(0);
    // The kill landed while calls were in flight: some failed, each with an answer.
    expect(failed).toBeGreaterThan(0);
    expect(succeeded + failed).toBe(SESSIONS * CALLS_PER_SESSION);
    // The HTTP backend never went away, and alpha came back: most calls succeed.
    expect(succeeded).toBeGreaterThan((SESSIONS * CALLS_PER_SESSION) / 2);
    await expect.poll(() => gw.gateway.serverView('alpha')!.status, { timeout: 10_000 }).toBe('running');
    expect(gw.gateway.serverView('alpha')!.pid).not.toBe(alphaPid);

    // Exactly one audit event per call, each naming its own arguments.
    const audit = gw.audit!;
    await audit.flush();
    const calls: AuditEvent[] = [];
    let buffer = '';
    for await (const chunk of audit.export({ method: ['tools/call'] }, 'jsonl')) buffer += chunk;
    for (const line of buffer.split('\n')) if (line.trim() !== '') calls.push(JSON.parse(line) as AuditEvent);
    const recorded = calls.map((e) => (e.args as { message?: string }).message ?? '');
    expect(recorded).toHaveLength(SESSIONS * CALLS_PER_SESSION);
    expect(new Set(recorded)).toEqual(sent);
    expect(calls.filter((e) => e.outcome === 'ok')).toHaveLength(succeeded);
  });
});
