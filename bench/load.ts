/**
 * The load driver: official SDK v2 clients (default 2025-era negotiation) over streamable HTTP
 * or stdio. Every echo carries a unique payload and every answer is checked against its own
 * request, so a reply delivered to the wrong session counts as `wrong`, never as a success.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { Child } from './child.js';
import { blobText } from './payload.js';

/**
 * Where a client connects: an MCP URL, or a command the client starts (stdio). `modern` clients
 * negotiate (`versionNegotiation: 'auto'`) and speak 2026-07-28 to a server that offers it;
 * the others use the SDK's default, the 2025-era `initialize` handshake and sessions.
 */
export type Target = ({ kind: 'http'; url: string } | { kind: 'stdio'; command: string; args: string[] }) & { modern?: boolean };

/** An open client session. */
export interface Session {
  client: Client;
  close(): Promise<void>;
}

const CALL_TIMEOUT_MS = 30_000;

export async function openSession(target: Target, name = 'bench'): Promise<Session> {
  const client = new Client({ name, version: '1.0.0' }, { capabilities: {}, ...(target.modern ? { versionNegotiation: { mode: 'auto' as const } } : {}) });
  if (target.kind === 'stdio') {
    const transport = new StdioClientTransport({ command: target.command, args: target.args, stderr: 'inherit' });
    await client.connect(transport);
    return { client, close: () => client.close() };
  }
  const transport = new StreamableHTTPClientTransport(new URL(target.url));
  await client.connect(transport);
  return {
    client,
    async close() {
      // DELETE the session, so the gateway and the backend drop it now, not at idle expiry.
      await transport.terminateSession().catch(() => {});
      await client.close();
    },
  };
}

/** Opens `count` sessions, `parallel` at a time. */
export async function openSessions(target: Target, count: number, parallel = 8): Promise<Session[]> {
  const sessions: Session[] = [];
  for (let i = 0; i < count; i += parallel) {
    const batch = await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, (_, j) => openSession(target, `bench-${i + j}`)));
    sessions.push(...batch);
  }
  return sessions;
}

export async function closeSessions(sessions: Session[]): Promise<void> {
  await Promise.allSettled(sessions.map((s) => s.close()));
}

/** The text of a tool result's content blocks. */
function resultText(result: unknown): string | undefined {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content;
  if (!Array.isArray(content) || content.length !== 1) return undefined;
  return content[0]?.text;
}

/** Latency percentiles in ms over a sorted array. */
export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

export function percentiles(values: number[]): Percentiles {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number): number => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  const mean = sorted.length === 0 ? NaN : sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), mean };
}

/** What one load run measured. Latencies and rates cover the measure window only; errors the whole run. */
export interface LoadResult extends Percentiles {
  concurrency: number;
  /** Calls completed inside the measure window. */
  calls: number;
  callsPerSec: number;
  /** Calls that failed (thrown, timed out, or a tool error) during the whole run, warm-up included. */
  errors: number;
  /** Answers that were not the answer to their own request, during the whole run. */
  wrong: number;
  /** CPU of the hop's process (gateway or floor proxy) per call in the window, in ms. */
  hopCpuMsPerCall: number | null;
  /** CPU of the HTTP backend per call in the window, in ms. */
  backendCpuMsPerCall: number | null;
  /** CPU of the benchmark's own process (the SDK clients) per call in the window, in ms. */
  clientCpuMsPerCall: number | null;
}

export interface LoadOptions {
  tool: string;
  warmupMs: number;
  measureMs: number;
  /** Processes whose CPU is sampled over the measure window. */
  hop?: Child;
  backend?: Child;
  /** A prefix for payloads, unique per run. */
  tag: string;
}

/** Every session calls `tool` back to back until the warm-up and measure windows have passed. */
export async function runLoad(sessions: Session[], opts: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let wrong = 0;
  const start = performance.now();
  const windowStart = start + opts.warmupMs;
  const windowEnd = windowStart + opts.measureMs;
  const nonce = randomBytes(4).toString('hex');
  let cpuAtStart: Promise<[number | null, number | null]> | undefined;
  const sampleCpu = (): Promise<[number | null, number | null]> =>
    Promise.all([opts.hop ? opts.hop.cpuMicros() : null, opts.backend ? opts.backend.cpuMicros() : null]);
  let clientCpuAtStart: NodeJS.CpuUsage | undefined;
  const startTimer = setTimeout(() => {
    cpuAtStart = sampleCpu();
    clientCpuAtStart = process.cpuUsage();
  }, opts.warmupMs);
  let cpuAtEnd: Promise<[number | null, number | null]> | undefined;
  const endTimer = setTimeout(() => (cpuAtEnd = sampleCpu()), opts.warmupMs + opts.measureMs);

  const loop = async (session: Session, s: number): Promise<void> => {
    for (let i = 0; performance.now() < windowEnd; i++) {
      const message = `${opts.tag}-${nonce}-s${s}-c${i}`;
      const t0 = performance.now();
      try {
        const result = await session.client.callTool({ name: opts.tool, arguments: { message } }, { timeout: CALL_TIMEOUT_MS });
        const t1 = performance.now();
        if ((result as { isError?: boolean }).isError) errors++;
        else if (resultText(result) !== `echo: ${message}`) wrong++;
        else if (t1 >= windowStart && t1 <= windowEnd) latencies.push(t1 - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(sessions.map((session, s) => loop(session, s)));
  clearTimeout(startTimer);
  clearTimeout(endTimer);
  // The loops may finish before a late timer fires.
  cpuAtEnd ??= sampleCpu();
  const clientCpu = process.cpuUsage(clientCpuAtStart);
  const [hop0, backend0] = (await cpuAtStart) ?? [null, null];
  const [hop1, backend1] = (await cpuAtEnd) ?? [null, null];
  const perCall = (a: number | null, b: number | null): number | null =>
    a === null || b === null || latencies.length === 0 ? null : (b - a) / 1000 / latencies.length;
  return {
    concurrency: sessions.length,
    calls: latencies.length,
    callsPerSec: latencies.length / (opts.measureMs / 1000),
    errors,
    wrong,
    hopCpuMsPerCall: perCall(hop0, hop1),
    backendCpuMsPerCall: perCall(backend0, backend1),
    clientCpuMsPerCall: clientCpuAtStart && latencies.length > 0 ? (clientCpu.user + clientCpu.system) / 1000 / latencies.length : null,
    ...percentiles(latencies),
  };
}

/** Session open (initialize + tools/list), `count` times one after another, until closed. */
export async function measureSessionOpen(target: Target, tool: string, count: number): Promise<Percentiles & { tools: number }> {
  const times: number[] = [];
  let tools = 0;
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const session = await openSession(target, `bench-open-${i}`);
    const list = await session.client.listTools();
    times.push(performance.now() - t0);
    tools = list.tools.length;
    if (!list.tools.some((t) => t.name === tool)) throw new Error(`tools/list has no "${tool}"`);
    await session.close();
  }
  return { ...percentiles(times), tools };
}

/** A `kb` KiB blob round trip, `count` times on one session; the text is checked every time. */
export async function measureBlob(session: Session, tool: string, kb: number, count: number): Promise<Percentiles & { wrong: number }> {
  const expected = blobText(kb);
  const times: number[] = [];
  let wrong = 0;
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const result = await session.client.callTool({ name: tool, arguments: { kb } }, { timeout: CALL_TIMEOUT_MS });
    times.push(performance.now() - t0);
    if (resultText(result) !== expected) wrong++;
  }
  return { ...percentiles(times), wrong };
}
