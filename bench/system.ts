/**
 * Figures of the real `gatehouse serve` process (the CLI, compiled beside the benchmark):
 * its RSS with 10 stdio backends of 100 tools each (children excluded), and cold start:
 * process start to `/healthz` 200, and to all 10 servers running, with the servers already
 * registered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { closeSessions, openSession, percentiles } from './load.js';

export interface SystemResult {
  servers: number;
  toolsPerServer: number;
  /** RSS of the gateway process alone, in MiB, once all servers run and it has been idle 2 s. */
  rssIdleMiB: number;
  /** The same after one aggregate session listed every tool and called each server once. */
  rssAfterUseMiB: number;
  /** Median over `runs` of process start to the first `/healthz` 200, in ms. */
  healthzMs: number;
  /** Median over `runs` of process start to `/healthz` reporting every server running, in ms. */
  allRunningMs: number;
  runs: number;
}

interface Serve {
  child: ChildProcess;
  url: Promise<string>;
  stop(): Promise<void>;
}

function startServe(cli: string, dataDir: string, extra: string[], port = 0): Serve {
  // No GATEHOUSE_TOKEN and friends from the caller's environment: the endpoints stay open on loopback.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  const child = spawn(process.execPath, [cli, 'serve', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn', ...extra], {
    env: { ...env, GATEHOUSE_KEYRING: 'none' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4000)));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`gatehouse serve exited (code ${code}): ${err}`)));
  });
  url.catch(() => {});
  const exited = once(child, 'exit');
  return {
    child,
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Polls `check` every 2 ms until it holds; rejects after `timeoutMs`. */
async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`gatehouse serve: no ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kb / 1024;
}

async function health(url: string): Promise<{ running: number } | undefined> {
  try {
    const res = await fetch(`${url}/healthz`);
    if (res.status !== 200) return undefined;
    const body = (await res.json()) as { servers: { running: number } };
    return { running: body.servers.running };
  } catch {
    return undefined;
  }
}

/** A port that was free on 127.0.0.1 a moment ago. */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function measureSystem(opts: { cli: string; backend: string; servers: number; tools: number; runs: number }): Promise<SystemResult> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-bench-serve-'));
  try {
    const mcpServers: Record<string, unknown> = {};
    for (let i = 0; i < opts.servers; i++) {
      mcpServers[`s${i}`] = { command: process.execPath, args: [opts.backend, 'stdio', '--tools', String(opts.tools)] };
    }
    const config = path.join(dataDir, 'bench-servers.json');
    await writeFile(config, JSON.stringify({ mcpServers }));

    // First start: imports (and approves) the servers; RSS once everything runs.
    const first = startServe(opts.cli, dataDir, ['--config', config]);
    let rssIdleMiB: number;
    let rssAfterUseMiB: number;
    try {
      const url = await first.url;
      await waitFor(async () => (await health(url))?.running === opts.servers, 30_000, 'all servers running');
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      rssIdleMiB = await rssMiB(first.child.pid!);
      const session = await openSession({ kind: 'http', url: `${url}/mcp` });
      const list = await session.client.listTools();
      if (list.tools.length !== opts.servers * opts.tools) throw new Error(`aggregate lists ${list.tools.length} tools, expected ${opts.servers * opts.tools}`);
      for (let i = 0; i < opts.servers; i++) await session.client.callTool({ name: `s${i}__echo`, arguments: { message: 'hi' } });
      await closeSessions([session]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      rssAfterUseMiB = await rssMiB(first.child.pid!);
    } finally {
      await first.stop();
    }

    // Cold starts with the servers registered (a fixed free port, so /healthz is polled from the first moment).
    const healthz: number[] = [];
    const allRunning: number[] = [];
    for (let run = 0; run < opts.runs; run++) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const t0 = performance.now();
      const serve = startServe(opts.cli, dataDir, [], port);
      try {
        await waitFor(async () => (await health(url)) !== undefined, 10_000, '/healthz 200');
        healthz.push(performance.now() - t0);
        await waitFor(async () => (await health(url))?.running === opts.servers, 30_000, 'all servers running');
        allRunning.push(performance.now() - t0);
      } finally {
        await serve.stop();
      }
    }
    return {
      servers: opts.servers,
      toolsPerServer: opts.tools,
      rssIdleMiB,
      rssAfterUseMiB,
      healthzMs: percentiles(healthz).p50,
      allRunningMs: percentiles(allRunning).p50,
      runs: opts.runs,
    };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
