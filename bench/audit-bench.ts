/**
 * Audit benchmark: writes N events (default 1,000,000) into a temp dir, then measures opening
 * (index build), filtered pages, free-text pages, deep pagination and export throughput.
 * `npm run bench` runs it as a child process and reads the JSON line it prints last; alone:
 *
 *   npx tsc -p bench/tsconfig.json && node out/bench/bench/audit-bench.js [N] [--json]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AuditOutcome, AuditRecordInput } from '../main/core/audit/audit-event.js';
import type { AuditQuery } from '../main/core/audit/audit-query.js';
import { AuditStore } from '../main/core/audit/audit-store.js';
import { createRedactor } from '../main/core/audit/redact.js';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const N = Number(positional[0] ?? 1_000_000);
const JSON_OUT = process.argv.includes('--json');

/** The figures `npm run bench` reports (times in ms). */
const results: {
  events: number;
  writeMs?: number;
  recordUs?: number;
  readyMs?: number;
  rssMiB?: number;
  pages: Record<string, number>;
  export: Record<string, { ms: number; eventsPerSec: number }>;
} = { events: N, pages: {}, export: {} };
const SERVERS = ['filesystem', 'github', 'memory', 'everything', 'postgres', 'slack', 'browser', 'search'];
const TOOLS = ['read_file', 'write_file', 'list_dir', 'search_code', 'create_issue', 'get_page', 'query', 'send_message', 'echo', 'add'];
const OUTCOMES: AuditOutcome[] = ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'tool_error', 'rpc_error', 'timeout', 'backend_unreachable'];
const T0 = Date.UTC(2026, 10, 1);

function event(i: number): AuditRecordInput {
  const server = SERVERS[i % SERVERS.length]!;
  return {
    time: T0 + i * 2_000,
    kind: i % 50 === 0 ? 'notification' : 'request',
    sessionId: `session-${i % 97}`,
    client: { tokenName: `token-${i % 5}`, name: i % 2 ? 'claude-code' : 'cursor', version: '1.0.0', ip: '127.0.0.1' },
    way: i % 3 ? 'aggregate' : 'per-server',
    server,
    method: 'tools/call',
    target: i === N - 1000 ? 'very_rare_tool' : TOOLS[(i * 7) % TOOLS.length]!,
    args: { path: `/home/user/project/src/file-${i % 1000}.ts`, recursive: i % 2 === 0, api_key: 'sk-should-not-appear', note: i === N - 5000 ? 'the unique needle' : 'routine' },
    outcome: OUTCOMES[i % OUTCOMES.length]!,
    durationMs: (i * 13) % 900,
    bytesIn: 200 + (i % 300),
    bytesOut: 1000 + (i % 5000),
    preview: 'file contents: export function main() { return 42; }',
  };
}

let lastMs = 0;

async function time<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await fn();
  lastMs = performance.now() - start;
  console.log(`${label.padEnd(58)} ${lastMs.toFixed(1).padStart(9)} ms`);
  return result;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-audit-bench-'));
  try {
    console.log(`audit bench: ${N.toLocaleString('en')} events in ${dir}`);
    const redactor = createRedactor({ secretValues: () => ['sk-should-not-appear-either'], clientTokens: () => ['tok-abcdef'] });
    await time(`write ${N.toLocaleString('en')} events (batchWrites)`, async () => {
      const store = await AuditStore.open({ dir, batchWrites: true, redactor });
      for (let i = 0; i < N; i++) {
        store.record(event(i));
        if (i % 10_000 === 9_999) await new Promise((resolve) => setImmediate(resolve));
      }
      await store.close();
    });
    results.writeMs = lastMs;

    const syncDir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-audit-bench-sync-'));
    const syncStore = await AuditStore.open({ dir: syncDir, redactor });
    const perRecord = await time('record() x 20,000 (default: written inside record)', async () => {
      const start = performance.now();
      for (let i = 0; i < 20_000; i++) syncStore.record(event(i));
      return (performance.now() - start) / 20_000;
    });
    console.log(`  → ${(perRecord * 1000).toFixed(1)} µs per record()`);
    results.recordUs = perRecord * 1000;
    await syncStore.close();
    await rm(syncDir, { recursive: true, force: true });

    const store = await time('open (until record() can be called)', () => AuditStore.open({ dir, readOnly: true }));
    await time('ready (segments scanned, index built)', () => store.ready);
    results.readyMs = lastMs;
    results.rssMiB = process.memoryUsage().rss / 2 ** 20;
    console.log(`  → ${store.size.toLocaleString('en')} events indexed, ${process.memoryUsage().rss >> 20} MiB RSS`);

    const queries: [string, AuditQuery][] = [
      ['page, no filter (limit 50)', { limit: 50 }],
      ['page, server=github outcome=rpc_error', { server: ['github'], outcome: ['rpc_error'], limit: 50 }],
      ['page, tool=very_rare_tool (1 match)', { tool: ['very_rare_tool'] }],
      ['page, client=token-3 method=tools/call since 7d', { client: ['token-3'], method: ['tools/call'], since: T0 + N * 2_000 - 7 * 86_400_000 }],
      ['page, text "unique needle" (free-text scan)', { text: 'unique needle' }],
      ['page, text "file-999.ts" + server=search', { text: 'file-999.ts', server: ['search'] }],
    ];
    for (const [label, query] of queries) {
      const page = await time(label, () => store.query(query));
      results.pages[label] = lastMs;
      if (page.items.length === 0) console.log('  → (no match)');
    }
    let cursor: string | undefined;
    await time('20 pages deep with the cursor (server=slack, limit 100)', async () => {
      for (let i = 0; i < 20; i++) {
        const page = await store.query({ server: ['slack'], limit: 100, ...(cursor ? { cursor } : {}) });
        cursor = page.nextCursor ?? undefined;
      }
    });
    results.pages['20 pages deep with the cursor (server=slack, limit 100)'] = lastMs;

    for (const format of ['jsonl', 'csv'] as const) {
      let bytes = 0;
      const start = performance.now();
      for await (const chunk of store.export({}, format)) bytes += chunk.length;
      const ms = performance.now() - start;
      results.export[format] = { ms, eventsPerSec: (store.size / ms) * 1000 };
      console.log(
        `${`export ${format}, all events`.padEnd(58)} ${ms.toFixed(1).padStart(9)} ms  → ${Math.round((store.size / ms) * 1000).toLocaleString('en')} events/s, ${(bytes / 2 ** 20).toFixed(0)} MiB`,
      );
    }
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (JSON_OUT) console.log(JSON.stringify(results));
}

await main();
