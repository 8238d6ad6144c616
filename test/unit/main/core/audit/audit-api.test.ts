import { once } from 'node:events';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import type { IDisposable } from '../../../../../main/core/base/disposable.js';
import type { AuditStore } from '../../../../../main/core/audit/audit-store.js';
import { handleAuditRequest, type AuditSource } from '../../../../../main/core/http/audit-api.js';
import { call, Scratch } from './helpers.js';

const scratch = new Scratch();
let server: Server | undefined;

afterEach(async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
  }
  await scratch.cleanup();
});

const NOW = Date.UTC(2026, 10, 21, 12);

/** Serves `source` through handleAuditRequest; anything it declines gets a plain 404. */
async function serve(source: AuditSource, heartbeatMs = 60_000): Promise<string> {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    void Promise.resolve(handleAuditRequest(req, res, url, source, { now: () => NOW, heartbeatMs })).then((handled) => {
      if (!handled) res.writeHead(404).end('not audit');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function fetchText(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; body: string }> {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, body: await res.text() };
}

async function filledStore(): Promise<AuditStore> {
  const store = await scratch.open({ dir: await scratch.dir() });
  for (let i = 0; i < 5; i++) {
    store.record(call({ time: NOW - 1000 + i, server: i % 2 ? 'github' : 'files', outcome: i === 4 ? 'timeout' : 'ok', durationMs: 10 * (i + 1) }));
  }
  return store;
}

describe('audit HTTP API', () => {
  it('GET /admin/audit answers a filtered page, and 400 with the reason for bad parameters', async () => {
    const base = await serve(await filledStore());
    const ok = await fetchText(`${base}/admin/audit?server=files&limit=2`);
    expect(ok.status).toBe(200);
    const page = JSON.parse(ok.body) as { items: { server: string; time: number }[]; nextCursor: string | null };
    expect(page.items.map((e) => e.time)).toEqual([NOW - 996, NOW - 998]);
    const next = JSON.parse((await fetchText(`${base}/admin/audit?server=files&limit=2&cursor=${page.nextCursor}`)).body);
    expect(next).toEqual({ items: [expect.objectContaining({ time: NOW - 1000 })], nextCursor: null });

    const bad = await fetchText(`${base}/admin/audit?outcome=weird&limit=2`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/^bad audit query: "outcome" must be one of ok, /);
    expect(JSON.parse((await fetchText(`${base}/admin/audit?since=last-week`)).body).error).toMatch(/"since"/);
  });

  it('GET /admin/audit/export streams CSV or JSONL as a named download', async () => {
    const base = await serve(await filledStore());
    const csv = await fetchText(`${base}/admin/audit/export?format=csv&outcome=timeout`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="gatehouse-audit-2026-11-21.csv"');
    const rows = parse(csv.body, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.server, r.outcome, r.durationMs])).toEqual([['files', 'timeout', '50']]);

    const jsonl = await fetchText(`${base}/admin/audit/export`);
    expect(jsonl.headers.get('content-disposition')).toContain('gatehouse-audit-2026-11-21.jsonl');
    expect(jsonl.body.trimEnd().split('\n')).toHaveLength(5);

    expect((await fetchText(`${base}/admin/audit/export?format=xml`)).status).toBe(400);
    expect(JSON.parse((await fetchText(`${base}/admin/audit/export?limit=3`)).body).error).toMatch(/"limit" applies to \/admin\/audit only/);
  });

  it('GET /admin/stats and /metrics give per-server figures', async () => {
    const base = await serve(await filledStore());
    const stats = JSON.parse((await fetchText(`${base}/admin/stats`)).body) as { servers: { server: string; calls: number; errors: number }[] };
    expect(stats.servers.map((s) => [s.server, s.calls, s.errors])).toEqual([
      ['files', 3, 1],
      ['github', 2, 0],
    ]);
    const metrics = await fetchText(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.body).toContain('gatehouse_calls_total{server="files",outcome="timeout"} 1');
  });

  it('GET /admin/stats with filters counts only the matching calls, with each server latest failure', async () => {
    const store = await filledStore();
    store.record(call({ time: NOW - 10_000_000, server: 'github', outcome: 'tool_error', error: { message: 'an old failure' } }));
    store.record(call({ time: NOW - 600, server: 'files', outcome: 'tool_error', preview: [{ type: 'text', text: 'no such file' }] }));
    store.record(call({ time: NOW - 500, server: 'github', outcome: 'rpc_error', error: { code: -32602, message: 'Tool nope not found' } }));
    const base = await serve(store);
    type Figures = { servers: { server: string; calls: number; errors: number; p50Ms: number | null; lastError?: { message: string; outcome: string; time: number } }[] };
    const recent = JSON.parse((await fetchText(`${base}/admin/stats?since=${NOW - 2000}`)).body) as Figures;
    expect(recent.servers.map((s) => [s.server, s.calls, s.errors])).toEqual([
      ['files', 4, 2],
      ['github', 3, 1],
    ]);
    expect(recent.servers[1]!.lastError).toEqual({ time: NOW - 500, message: 'Tool nope not found', outcome: 'rpc_error' });
    // A tool's own error: the text of its result.
    expect(recent.servers[0]!.lastError).toEqual({ time: NOW - 600, message: 'no such file', outcome: 'tool_error' });

    // Every filter of the timeline applies, the text one included.
    const one = JSON.parse((await fetchText(`${base}/admin/stats?server=github&outcome=ok`)).body) as Figures;
    expect(one.servers).toEqual([expect.objectContaining({ server: 'github', calls: 2, errors: 0, p50Ms: 20 })]);
    expect(one.servers[0]!.lastError).toBeUndefined();
    const text = JSON.parse((await fetchText(`${base}/admin/stats?q=old%20failure`)).body) as Figures;
    expect(text.servers.map((s) => [s.server, s.calls, s.errors])).toEqual([['github', 1, 1]]);

    const bad = await fetchText(`${base}/admin/stats?since=yesterday-ish`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/^bad stats query: .*"since"/);
    expect(JSON.parse((await fetchText(`${base}/admin/stats?limit=3`)).body).error).toMatch(/"limit" and "cursor" apply to \/admin\/audit only/);
  });

  it('leaves other paths alone and refuses other methods', async () => {
    const base = await serve(await filledStore());
    expect(await fetchText(`${base}/admin/servers`)).toMatchObject({ status: 404, body: 'not audit' });
    expect((await fetchText(`${base}/admin/audit`, { method: 'POST' })).status).toBe(405);
  });

  it('GET /admin/audit/stream sends new matching events and heartbeats, and unsubscribes on close', async () => {
    const store = await filledStore();
    let live = 0;
    const source: AuditSource = {
      query: (q) => store.query(q),
      export: (f, fmt) => store.export(f, fmt),
      stats: () => store.stats(),
      statsFor: (filter) => store.statsFor(filter),
      metrics: () => store.metrics(),
      subscribe: (listener): IDisposable => {
        live++;
        const sub = store.subscribe(listener);
        return { dispose: () => (live--, sub.dispose()) };
      },
    };
    const base = await serve(source, 20);
    const req = get(`${base}/admin/audit/stream?server=github`);
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
    await expect.poll(() => live).toBe(1);
    store.record(call({ server: 'files', target: 'not-for-this-stream' }));
    const event = store.record(call({ server: 'github', target: 'wanted' }))!;
    await expect.poll(() => text).toContain(`id: ${event.id}`);
    await expect.poll(() => text).toContain(': heartbeat');
    expect(text).toContain('event: audit\n');
    expect(text).not.toContain('not-for-this-stream');
    const data = text.split('\n').find((l) => l.startsWith('data: '))!;
    expect(JSON.parse(data.slice(6))).toEqual(event);
    req.destroy();
    await expect.poll(() => live).toBe(0);
  });
});
