/**
 * The benchmark's report: the Markdown tables and JSON lines `npm run bench` prints and writes,
 * with the ratios against direct and the floor, and the targets checked.
 */
import os from 'node:os';
import type { LoadResult, Percentiles } from './load.js';
import type { SystemResult } from './system.js';

export type Way = 'direct' | 'floor' | 'per-server' | 'aggregate';

export interface ScenarioDef {
  id: string;
  way: Way;
  backend: 'http' | 'stdio';
  /** Audit on or off for gateway scenarios; `null` elsewhere. */
  audit: boolean | null;
  /** The client negotiates the 2026-07-28 revision (see `Target` in load.ts). */
  modern: boolean;
  what: string;
}

export interface ScenarioResult {
  def: ScenarioDef;
  open?: Percentiles & { tools: number };
  blob?: Percentiles & { wrong: number };
  load: LoadResult[];
}

const ms = (v: number | undefined | null): string => (v === undefined || v === null || Number.isNaN(v) ? '–' : v.toFixed(2));
const ratio = (v: number | undefined | null): string => (v === undefined || v === null || !Number.isFinite(v) ? '–' : `×${v.toFixed(2)}`);
const plus = (v: number | undefined | null): string => (v === undefined || v === null || !Number.isFinite(v) ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}`);

function table(header: string[], rows: string[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((h, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

interface Report {
  text: string;
  jsonLines: string[];
}

export function buildReport(
  results: ScenarioResult[],
  system: SystemResult | undefined,
  audit: Record<string, unknown> | undefined,
  meta: { warmupMs: number; measureMs: number; started: number; concurrencies: readonly number[] },
): Report {
  const byId = new Map(results.map((r) => [r.def.id, r]));
  const loadOf = (id: string, c: number): LoadResult | undefined => byId.get(id)?.load.find((l) => l.concurrency === c);
  const directOf = (def: ScenarioDef): string => (def.modern ? 'direct-http-2026' : def.backend === 'http' ? 'direct-http' : 'direct-stdio');
  const floorOf = (def: ScenarioDef): string => (def.modern ? 'floor-2026' : 'floor');
  const isHop = (def: ScenarioDef): boolean => def.way !== 'direct';

  const loadRows: string[][] = [];
  const jsonLines: string[] = [];
  for (const c of meta.concurrencies) {
    for (const r of results) {
      const l = loadOf(r.def.id, c);
      if (!l) continue;
      const d = loadOf(directOf(r.def), c);
      const f = loadOf(floorOf(r.def), c);
      const hop = isHop(r.def);
      loadRows.push([
        r.def.id,
        String(c),
        l.callsPerSec.toFixed(0),
        ms(l.p50),
        ms(l.p90),
        ms(l.p99),
        hop && d ? ratio(l.p50 / d.p50) : '',
        hop && d ? ratio(l.callsPerSec / d.callsPerSec) : '',
        hop && r.def.way !== 'floor' && f ? plus(l.p50 - f.p50) : '',
        hop && r.def.way !== 'floor' && f ? ratio(l.callsPerSec / f.callsPerSec) : '',
        ms(l.hopCpuMsPerCall),
        `${l.errors}/${l.wrong}`,
      ]);
    }
  }
  const openRef = (def: ScenarioDef): ScenarioResult | undefined => byId.get(def.modern ? 'direct-http-2026' : 'direct-http');
  const sessionRows: string[][] = results.map((r) => {
    const d = byId.get(directOf(r.def));
    const o = openRef(r.def);
    const hop = isHop(r.def);
    return [
      r.def.id,
      ms(r.open?.p50),
      hop && o?.open && r.open ? plus(r.open.p50 - o.open.p50) : '',
      ms(r.blob?.p50),
      hop && d?.blob && r.blob ? ratio(r.blob.p50 / d.blob.p50) : '',
      String(r.blob?.wrong ?? '–'),
    ];
  });

  // One JSON line per scenario, with its ratios.
  for (const r of results) {
    const d = byId.get(directOf(r.def));
    const f = byId.get(floorOf(r.def));
    jsonLines.push(
      JSON.stringify({
        type: 'scenario',
        id: r.def.id,
        way: r.def.way,
        backend: r.def.backend,
        audit: r.def.audit,
        client: r.def.modern ? '2026-07-28' : '2025',
        open: r.open && { ...round(r.open), overDirectHttpMs: openRef(r.def)?.open && isHop(r.def) ? round1(r.open.p50 - openRef(r.def)!.open!.p50) : null },
        blob100k: r.blob && { ...round(r.blob), vsDirect: d?.blob && isHop(r.def) ? round1(r.blob.p50 / d.blob.p50) : null },
        load: r.load.map((l) => {
          const dl = d?.load.find((x) => x.concurrency === l.concurrency);
          const fl = f?.load.find((x) => x.concurrency === l.concurrency);
          return {
            ...round(l),
            vsDirect: dl && isHop(r.def) ? { p50: round1(l.p50 / dl.p50), throughput: round1(l.callsPerSec / dl.callsPerSec), p50AddedMs: round1(l.p50 - dl.p50) } : null,
            vsFloor: fl && isHop(r.def) && r.def.way !== 'floor' ? { p50: round1(l.p50 / fl.p50), throughput: round1(l.callsPerSec / fl.callsPerSec), p50AddedMs: round1(l.p50 - fl.p50) } : null,
          };
        }),
      }),
    );
  }
  if (system) jsonLines.push(JSON.stringify({ type: 'system', ...round(system) }));
  if (audit) jsonLines.push(JSON.stringify({ type: 'audit', ...audit }));

  const targets = checkTargets(byId, system, audit);
  jsonLines.push(JSON.stringify({ type: 'targets', items: targets.map(([target, measured, ok]) => ({ target, measured, ok })) }));

  const text = [
    `## Gatehouse benchmark, ${new Date(meta.started).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}, node ${process.version}; ` +
      `warm-up ${meta.warmupMs / 1000} s and ${meta.measureMs / 1000} s measured per row; client, hop and backend in separate processes.`,
    '',
    '### Load: tools/call echo, back to back per session',
    '',
    'Latency in ms. ×direct: against the direct scenario of the same backend transport at the same C (p50 ratio, throughput ratio).',
    'vs floor: p50 difference in ms and throughput ratio against the bare Node proxy. hop CPU: ms of the gateway (or proxy) process per call. err/wrong: failed calls / answers to another request.',
    '',
    table(['scenario', 'C', 'calls/s', 'p50', 'p90', 'p99', 'p50 ×direct', 'thr ×direct', 'p50 vs floor', 'thr ×floor', 'hop CPU/call', 'err/wrong'], loadRows),
    '',
    '### Session open (initialize + tools/list) and a 100 KiB blob, one session at a time',
    '',
    'Session open is compared with direct HTTP of the same client era (direct-stdio includes spawning the server process).',
    '',
    table(['scenario', 'open+list p50', 'vs direct-http (ms)', 'blob 100 KiB p50', 'blob ×direct', 'blob wrong'], sessionRows),
    '',
    ...(system
      ? [
          `### gatehouse serve with ${system.servers} stdio servers of ${system.toolsPerServer} tools`,
          '',
          table(
            ['figure', 'value'],
            [
              ['RSS, idle, all running (children excluded)', `${system.rssIdleMiB.toFixed(1)} MiB`],
              [`RSS after one aggregate session listed ${system.servers * system.toolsPerServer} tools and called each server`, `${system.rssAfterUseMiB.toFixed(1)} MiB`],
              [`cold start to /healthz 200 (median of ${system.runs})`, `${system.healthzMs.toFixed(0)} ms`],
              [`cold start to all ${system.servers} servers running (median of ${system.runs})`, `${system.allRunningMs.toFixed(0)} ms`],
            ],
          ),
          '',
        ]
      : []),
    ...(audit ? [`### Audit over ${Number(audit.events).toLocaleString('en')} events`, '', auditTable(audit), ''] : []),
    '### Targets (issue 7)',
    '',
    table(
      ['target', 'measured', 'met'],
      targets.map(([t, m, ok]) => [t, m, ok === null ? '–' : ok ? 'yes' : '**no**']),
    ),
  ].join('\n');
  return { text, jsonLines };
}

function auditTable(audit: Record<string, unknown>): string {
  const pages = audit.pages as Record<string, number>;
  const exp = audit.export as Record<string, { ms: number; eventsPerSec: number }>;
  const rows: string[][] = [
    ['write all events (batchWrites)', `${Number(audit.writeMs).toFixed(0)} ms`],
    ['record(), default mode', `${Number(audit.recordUs).toFixed(1)} µs`],
    ['open until ready (index built)', `${Number(audit.readyMs).toFixed(0)} ms`],
    ...Object.entries(pages).map(([label, v]) => [label, `${v.toFixed(1)} ms`]),
    ...Object.entries(exp).map(([format, v]) => [`export ${format}`, `${Math.round(v.eventsPerSec).toLocaleString('en')} events/s`]),
  ];
  return table(['figure', 'value'], rows);
}

type Check = [target: string, measured: string, ok: boolean | null];

function checkTargets(byId: Map<string, ScenarioResult>, system: SystemResult | undefined, audit: Record<string, unknown> | undefined): Check[] {
  const checks: Check[] = [];
  const at = (id: string, c: number): LoadResult | undefined => byId.get(id)?.load.find((l) => l.concurrency === c);
  const direct1 = at('direct-http', 1);
  const direct16 = at('direct-http', 16);
  const floorFor = (id: string): string => (byId.get(id)?.def.modern ? 'floor-2026' : 'floor');
  const directFor = (id: string): string => {
    const def = byId.get(id)?.def;
    return def?.modern ? 'direct-http-2026' : def?.backend === 'stdio' ? 'direct-stdio' : 'direct-http';
  };
  const overFloor = (id: string, limitMs: number): void => {
    const l = at(id, 1);
    const f = at(floorFor(id), 1);
    if (l && f) checks.push([`${id}: p50 at C=1 at most ${limitMs} ms over ${floorFor(id)}`, `${plus(l.p50 - f.p50)} ms`, l.p50 - f.p50 <= limitMs]);
  };
  const thrFloor = (id: string, min: number): void => {
    const l = at(id, 16);
    const f = at(floorFor(id), 16);
    if (l && f) checks.push([`${id}: throughput at C=16 at least ×${min} ${floorFor(id)}'s`, ratio(l.callsPerSec / f.callsPerSec), l.callsPerSec / f.callsPerSec >= min]);
  };
  // The pass-through proper is the 2026-07-28 client's; a 2025 client of this (2026) backend is bridged.
  overFloor('pass-http-2026', 0.2);
  thrFloor('pass-http-2026', 0.95);
  overFloor('server-http', 0.2);
  thrFloor('server-http', 0.95);
  overFloor('agg-http', 0.5);
  thrFloor('agg-http', 0.8);
  for (const id of ['agg-stdio', 'server-stdio']) {
    const l1 = at(id, 1);
    const l16 = at(id, 16);
    if (l1 && direct1) checks.push([`${id}: p50 at C=1 no slower than direct-http`, `${ms(l1.p50)} vs ${ms(direct1.p50)} ms`, l1.p50 <= direct1.p50]);
    if (l16 && direct16) checks.push([`${id}: throughput at C=16 at least direct-http's`, ratio(l16.callsPerSec / direct16.callsPerSec), l16.callsPerSec >= direct16.callsPerSec]);
  }
  // The peers' best: supergateway +1.9 ms p50; CPU per call 1.0 ms (stdio), 3 ms (HTTP). Half of each.
  for (const id of ['pass-http-2026', 'server-http', 'agg-http', 'agg-stdio', 'server-stdio']) {
    const def = byId.get(id)?.def;
    const l = at(id, 1);
    const d = at(directFor(id), 1);
    if (l && d) checks.push([`${id}: added p50 at C=1 over ${directFor(id)} at most 0.95 ms (half the best peer's +1.9 ms)`, `${plus(l.p50 - d.p50)} ms`, l.p50 - d.p50 <= 0.95]);
    const l16 = at(id, 16);
    const limit = def?.backend === 'http' ? 1.5 : 0.5;
    if (l16?.hopCpuMsPerCall != null) checks.push([`${id}: gateway CPU per call at C=16 at most ${limit} ms (half the best peer's)`, `${ms(l16.hopCpuMsPerCall)} ms`, l16.hopCpuMsPerCall <= limit]);
  }
  for (const [id, r] of byId) {
    if (r.def.way === 'direct') continue;
    const l = at(id, 64);
    if (l) checks.push([`${id}: C=64 without errors or wrong replies, p99 under 10× p50`, `${l.errors}/${l.wrong}, p99 ${ratio(l.p99 / l.p50)} p50`, l.errors === 0 && l.wrong === 0 && l.p99 < 10 * l.p50]);
  }
  for (const id of ['pass-http-2026', 'agg-http']) {
    const on = at(id, 16);
    const off = at(`${id}-noaudit`, 16);
    if (on && off) checks.push([`${id}: audit on keeps at least ×0.9 of audit-off throughput (C=16)`, ratio(on.callsPerSec / off.callsPerSec), on.callsPerSec / off.callsPerSec >= 0.9]);
  }
  for (const [id, r] of byId) {
    if ((r.def.way !== 'per-server' && r.def.way !== 'aggregate') || r.def.audit === false) continue;
    const d = byId.get(r.def.modern ? 'direct-http-2026' : 'direct-http');
    if (r.open && d?.open) checks.push([`${id}: session open + tools/list at most 5 ms over ${r.def.modern ? 'direct-http-2026' : 'direct-http'}`, `${plus(r.open.p50 - d.open.p50)} ms`, r.open.p50 - d.open.p50 <= 5]);
  }
  if (system) {
    checks.push(['RSS with 10 stdio backends at most 120 MB', `${system.rssIdleMiB.toFixed(1)} MiB idle, ${system.rssAfterUseMiB.toFixed(1)} MiB used`, system.rssAfterUseMiB * 1.048576 <= 120]);
    checks.push(['cold start to /healthz at most 1 s', `${system.healthzMs.toFixed(0)} ms`, system.healthzMs <= 1000]);
  }
  if (audit) {
    const pages = audit.pages as Record<string, number>;
    const filtered = Object.entries(pages).filter(([label]) => !label.startsWith('20 pages'));
    const worst = filtered.reduce((a, b) => (b[1] > a[1] ? b : a));
    checks.push([`audit: a filtered page over ${Number(audit.events).toLocaleString('en')} events at most 200 ms`, `worst ${worst[1].toFixed(1)} ms (${worst[0]})`, worst[1] <= 200]);
    for (const [format, v] of Object.entries(audit.export as Record<string, { eventsPerSec: number }>)) {
      checks.push([`audit: export ${format} at least 100k events/s`, `${Math.round(v.eventsPerSec).toLocaleString('en')}/s`, v.eventsPerSec >= 100_000]);
    }
  }
  return checks;
}

function round<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? round1(v) : v])) as T;
}

function round1(v: number): number {
  return Math.round(v * 1000) / 1000;
}
