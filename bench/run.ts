/**
 * `npm run bench`: what the gateway costs, measured against talking to the backend directly
 * and against a bare Node proxy (the floor), all in one run so the ratios are comparable.
 * See bench/README.md for how to read the output.
 */
import { fork } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startChild, type Child } from './child.js';
import type { GatewayHostConfig } from './gateway-host.js';
import { closeSessions, measureBlob, measureSessionOpen, openSession, openSessions, runLoad, type Target } from './load.js';
import { formatProfile, summarizeProfile } from './profile.js';
import { buildReport, type ScenarioDef, type ScenarioResult } from './report.js';
import { measureSystem, type SystemResult } from './system.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const outDir = path.resolve(here, '..');
const BACKEND = path.join(here, 'backend.js');
const FLOOR = path.join(here, 'floor-proxy.js');
const GATEWAY_HOST = path.join(here, 'gateway-host.js');
const AUDIT_BENCH = path.join(here, 'audit-bench.js');
const CLI = path.join(outDir, 'main/cli.js');

// --- options ---------------------------------------------------------------------------------

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    warmup: { type: 'string' },
    measure: { type: 'string' },
    concurrency: { type: 'string' },
    scenarios: { type: 'string' },
    'audit-events': { type: 'string' },
    'no-system': { type: 'boolean', default: false },
    'no-audit': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const USAGE = `npm run bench -- [options]
  --quick               short windows (0.5 s warm-up, 2 s measured), 200k audit events, 1 cold start
  --warmup S            warm-up seconds per load run (default 1)
  --measure S           measured seconds per load run (default 5; 10 with --profile)
  --concurrency LIST    client sessions per run (default 1,16,64; 16 with --profile)
  --scenarios LIST      scenario ids to run (default all; see bench/README.md)
  --audit-events N      events for the audit query benchmark (default 1000000)
  --no-system           skip RSS and cold start
  --no-audit            skip the audit query benchmark
  --profile             run the gateway under --cpu-prof (pass-through and aggregate to HTTP, C=16)
                        and print its hot spots; profiles land in out/bench/profiles/`;

if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}

const quick = flags.quick!;
const profile = flags.profile!;
const warmupMs = 1000 * Number(flags.warmup ?? (quick ? 0.5 : 1));
const measureMs = 1000 * Number(flags.measure ?? (quick ? 2 : profile ? 10 : 5));
const concurrencies = (flags.concurrency ?? (profile ? '16' : '1,16,64')).split(',').map(Number);
const openCount = quick ? 5 : 15;
const blobCount = quick ? 5 : 15;
const auditEvents = Number(flags['audit-events'] ?? (quick ? 200_000 : 1_000_000));
const coldRuns = quick ? 1 : 3;

// --- scenarios -------------------------------------------------------------------------------

const SCENARIOS: ScenarioDef[] = [
  { id: 'direct-http', way: 'direct', backend: 'http', audit: null, modern: false, what: 'SDK client → HTTP backend' },
  { id: 'direct-stdio', way: 'direct', backend: 'stdio', audit: null, modern: false, what: 'SDK stdio client → its own backend process' },
  { id: 'floor', way: 'floor', backend: 'http', audit: null, modern: false, what: 'bare node:http proxy → HTTP backend' },
  { id: 'server-http', way: 'per-server', backend: 'http', audit: true, modern: false, what: 'gateway /servers/web/mcp → HTTP; bridged (2025 client, 2026 backend)' },
  { id: 'agg-http', way: 'aggregate', backend: 'http', audit: true, modern: false, what: 'gateway /mcp aggregate → HTTP' },
  { id: 'agg-http-noaudit', way: 'aggregate', backend: 'http', audit: false, modern: false, what: 'same, audit off' },
  { id: 'agg-stdio', way: 'aggregate', backend: 'stdio', audit: true, modern: false, what: 'gateway /mcp aggregate → stdio' },
  { id: 'server-stdio', way: 'per-server', backend: 'stdio', audit: true, modern: false, what: 'gateway /servers/local/mcp → stdio (bridged)' },
  { id: 'direct-http-2026', way: 'direct', backend: 'http', audit: null, modern: true, what: '2026-07-28 SDK client → HTTP backend' },
  { id: 'floor-2026', way: 'floor', backend: 'http', audit: null, modern: true, what: 'same client, bare node:http proxy → HTTP backend' },
  { id: 'pass-http-2026', way: 'per-server', backend: 'http', audit: true, modern: true, what: 'same client, gateway /servers/web/mcp byte pass-through → HTTP' },
  { id: 'pass-http-2026-noaudit', way: 'per-server', backend: 'http', audit: false, modern: true, what: 'same, audit off' },
];

const PROFILED = ['direct-http', 'floor', 'agg-http', 'direct-http-2026', 'floor-2026', 'pass-http-2026'];

const selected = flags.scenarios
  ? flags.scenarios.split(',').map((id) => {
      const def = SCENARIOS.find((s) => s.id === id);
      if (!def) throw new Error(`unknown scenario "${id}" (one of ${SCENARIOS.map((s) => s.id).join(', ')})`);
      return def;
    })
  : SCENARIOS.filter((s) => !profile || PROFILED.includes(s.id));

interface Running {
  def: ScenarioDef;
  target: Target;
  tool: string;
  /** The process between client and backend (gateway or floor proxy), for its CPU. */
  hop?: Child;
}


const log = (message: string): void => void process.stderr.write(`bench: ${message}\n`);

async function startScenario(def: ScenarioDef, backend: Child, profileDir: string): Promise<Running> {
  const backendUrl = backend.info.url as string;
  const stdio = { command: process.execPath, args: [BACKEND, 'stdio'] };
  const modern = def.modern;
  if (def.way === 'direct') {
    return def.backend === 'http'
      ? { def, target: { kind: 'http', url: backendUrl, modern }, tool: 'echo' }
      : { def, target: { kind: 'stdio', ...stdio, modern }, tool: 'echo' };
  }
  if (def.way === 'floor') {
    const hop = await startChild(FLOOR, [backendUrl], { execArgv: profile ? cpuProf(profileDir, def.id) : [] });
    return { def, target: { kind: 'http', url: hop.info.url as string, modern }, tool: 'echo', hop };
  }
  const name = def.backend === 'http' ? 'web' : 'local';
  const config: GatewayHostConfig = {
    // pingIntervalMs 0: the health ping fails against a 2026-07-28 backend ("Method 'ping' is not
    // supported by the negotiated protocol version") and the gateway restarts it every minute
    // mid-run. Off until the gateway pings modern backends some other way (see README).
    mcpServers: def.backend === 'http' ? { web: { type: 'http', url: backendUrl, pingIntervalMs: 0 } } : { local: { ...stdio, pingIntervalMs: 0 } },
    audit: def.audit === true,
  };
  const hop = await startChild(GATEWAY_HOST, [JSON.stringify(config)], { execArgv: profile ? cpuProf(profileDir, def.id) : [] });
  const servers = hop.info.servers as Array<{ name: string; status: string }>;
  if (servers[0]?.status !== 'running') throw new Error(`${def.id}: server ${name} is ${servers[0]?.status}`);
  const url = hop.info.url as string;
  return def.way === 'aggregate'
    ? { def, target: { kind: 'http', url: `${url}/mcp`, modern }, tool: `${name}__echo`, hop }
    : { def, target: { kind: 'http', url: `${url}/servers/${name}/mcp`, modern }, tool: 'echo', hop };
}

function cpuProf(dir: string, id: string): string[] {
  return ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, id)}`];
}

// --- the run ---------------------------------------------------------------------------------

async function runAuditBench(events: number): Promise<Record<string, unknown>> {
  const child = fork(AUDIT_BENCH, [String(events), '--json'], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    process.stderr.write(chunk.toString().split('\n').filter((l) => l && !l.startsWith('{')).map((l) => `bench: audit: ${l}\n`).join(''));
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`audit bench exited with code ${code}`);
  const line = out.trim().split('\n').pop()!;
  return JSON.parse(line) as Record<string, unknown>;
}

async function main(): Promise<void> {
  const started = Date.now();
  const profileDir = path.join(outDir, 'profiles');
  if (profile) await rm(profileDir, { recursive: true, force: true });
  log(`${os.cpus().length} CPUs, node ${process.version}; warm-up ${warmupMs} ms, measure ${measureMs} ms, concurrency ${concurrencies.join(',')}`);

  const backend = await startChild(BACKEND, ['http']);
  const running: Running[] = [];
  const results = new Map<string, ScenarioResult>();
  try {
    for (const def of selected) {
      running.push(await startScenario(def, backend, profileDir));
      results.set(def.id, { def, load: [] });
    }
    // Session open and the blob round trip, one session at a time.
    for (const r of running) {
      const result = results.get(r.def.id)!;
      result.open = await measureSessionOpen(r.target, r.tool, openCount);
      const session = await openSession(r.target, 'bench-blob');
      try {
        result.blob = await measureBlob(session, r.tool.replace(/echo$/, 'blob'), 100, blobCount);
      } finally {
        await closeSessions([session]);
      }
      log(`${r.def.id}: open+list p50 ${result.open.p50.toFixed(2)} ms, blob 100 KiB p50 ${result.blob.p50.toFixed(2)} ms`);
    }
    // Load: every scenario at one concurrency, then the next, so slow drift hits all alike.
    for (const concurrency of concurrencies) {
      for (const r of running) {
        const sessions = await openSessions(r.target, concurrency);
        try {
          const load = await runLoad(sessions, { tool: r.tool, warmupMs, measureMs, tag: r.def.id, ...(r.hop ? { hop: r.hop } : {}), ...(r.def.backend === 'http' ? { backend } : {}) });
          results.get(r.def.id)!.load.push(load);
          log(
            `${r.def.id} C=${concurrency}: ${load.callsPerSec.toFixed(0)} calls/s, p50 ${load.p50.toFixed(2)} ms, p99 ${load.p99.toFixed(2)} ms, errors ${load.errors}, wrong ${load.wrong}`,
          );
        } finally {
          await closeSessions(sessions);
        }
      }
    }
  } finally {
    await Promise.allSettled(running.map((r) => r.hop?.stop()));
    await backend.stop();
  }

  if (profile) {
    const out: string[] = [];
    for (const id of selected.filter((s) => s.way !== 'direct').map((s) => s.id)) {
      const dir = path.join(profileDir, id);
      const files = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.cpuprofile'));
      for (const file of files) out.push(formatProfile(`${id} (${path.join(path.relative(root, dir), file)})`, await summarizeProfile(path.join(dir, file), root)));
    }
    const text = out.join('\n');
    await writeFile(path.join(profileDir, 'summary.txt'), text);
    console.log(text);
  }

  let system: SystemResult | undefined;
  if (!flags['no-system'] && !profile) {
    log('gatehouse serve with 10 stdio servers of 100 tools: RSS and cold start');
    try {
      system = await measureSystem({ cli: CLI, backend: BACKEND, servers: 10, tools: 100, runs: coldRuns });
    } catch (error) {
      log(`RSS and cold start failed, left out of the report: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  let audit: Record<string, unknown> | undefined;
  if (!flags['no-audit'] && !profile && auditEvents > 0) {
    log(`audit query benchmark over ${auditEvents.toLocaleString('en')} events`);
    try {
      audit = await runAuditBench(auditEvents);
    } catch (error) {
      log(`audit benchmark failed, left out of the report: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const report = buildReport([...results.values()], system, audit, { warmupMs, measureMs, started, concurrencies });
  console.log(report.text);
  console.log(report.jsonLines.join('\n'));
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, 'results.md'), report.text + '\n');
  await writeFile(path.join(outDir, 'results.jsonl'), report.jsonLines.join('\n') + '\n');
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; also written to ${path.relative(root, outDir)}/results.md and results.jsonl`);
}

await main();
// Client sockets and timers of the SDK may linger: the run is over.
process.exit(0);
