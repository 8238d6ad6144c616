/**
 * How long the built `gatehouse` takes to answer the commands people type most, measured as a
 * ratio to a bare `node -e ''` on the same machine at the same moment: runs are interleaved and
 * medians compared, so a busy machine slows both sides alike. Before each command loaded only
 * its own modules, every command cost about five bare Node starts (the gateway, the MCP SDK and
 * undici were loaded first).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { baseEnv, CLI, ensureCliBuilt } from '../support/cli-runner.js';

const RUNS = 7;
let dataDir: string;

beforeAll(async () => {
  ensureCliBuilt();
  dataDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-startup-'));
}, 120_000);

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

it('answers --help, tokens list and client show within a small multiple of a bare node start', () => {
  const env = baseEnv();
  const commands: Record<string, string[]> = {
    'node -e ""': ['-e', ''],
    '--help': [CLI, '--help'],
    'tokens list': [CLI, 'tokens', 'list', '--data-dir', dataDir],
    'client show': [CLI, 'client', 'show', 'cursor', '--data-dir', dataDir],
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const [name, args] of Object.entries(commands)) {
      const started = performance.now();
      const result = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      times[name]!.push(performance.now() - started);
      expect(result.status, `${name}: ${result.stderr}`).toBe(0);
    }
  }
  const bare = median(times['node -e ""']!);
  const ratio = (name: string): number => median(times[name]!) / bare;
  console.info(Object.keys(commands).map((name) => `${name}: ${median(times[name]!).toFixed(0)} ms (${ratio(name).toFixed(2)}x)`).join(', '));
  // --help and client show load a few small modules; tokens list also loads zod (the token
  // file's schema), whose ~100 ES modules cost about one more bare node start.
  expect(ratio('--help')).toBeLessThan(1.6);
  expect(ratio('client show')).toBeLessThan(1.8);
  expect(ratio('tokens list')).toBeLessThan(3);
}, 120_000);
