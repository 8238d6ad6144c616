/**
 * Supervision of one Backend with real fixture processes and a fake clock: restarts, crash
 * loops, pings, lazy start and idle stop, in-flight failures. The clock drives backoff, pings
 * and idleness, so nothing here waits for a real backoff.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { parseServerEntry } from '../../shared/config-schema.js';
import type { ServerConfig } from '../../shared/server-config.js';
import { Backend } from '../../main/core/backends/backend.js';
import type { BackendLifecycleEvent } from '../../main/core/backends/backend-state.js';
import { CatalogCache } from '../../main/core/backends/catalog-cache.js';
import { nullLogger } from '../../main/core/base/logger.js';
import { FakeClock } from '../unit/main/core/backends/fake-clock.js';
import { FIXTURE_SERVER, makeCallLog, text } from './harness.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function configOf(raw: Record<string, unknown>): ServerConfig {
  const parsed = parseServerEntry('fx', { command: process.execPath, args: [FIXTURE_SERVER], ...raw });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.config;
}

function makeBackend(raw: Record<string, unknown> = {}, extra: { cacheDir?: string; clock?: FakeClock } = {}) {
  const clock = extra.clock ?? new FakeClock();
  const events: BackendLifecycleEvent[] = [];
  const backend = new Backend('fx', configOf(raw), {
    stdioEnv: { PATH: process.env.PATH ?? '' },
    logger: nullLogger,
    clientInfo: { name: 'test', version: '0' },
    clock,
    catalogCache: new CatalogCache(extra.cacheDir),
  });
  backend.onDidLifecycle((e) => events.push(e));
  cleanups.push(async () => {
    await backend.stop();
    backend.dispose();
  });
  return { backend, clock, events };
}

async function sessionClient(backend: Backend): Promise<Client> {
  const client = new Client({ name: 'session', version: '0' });
  await client.connect(await backend.openSessionTransport());
  cleanups.push(() => client.close());
  return client;
}

describe('Backend supervision', () => {
  it('restarts a backend killed with SIGKILL after the backoff, and counts the restart', async () => {
    const { backend, clock, events } = makeBackend();
    await backend.start();
    const first = backend.pid!;
    process.kill(first, 'SIGKILL');
    await expect.poll(() => backend.state.status).toBe('error');
    expect(backend.state).toMatchObject({
      reason: 'process exited with signal SIGKILL; restarting in 1 s',
      nextRestartAt: clock.now() + 1_000,
      lastExit: { code: null, signal: 'SIGKILL' },
    });
    await expect.poll(() => clock.pending).toBe(1); // scheduled once the old run is torn down
    await clock.advance(999);
    expect(backend.state.status).toBe('error');
    await clock.advance(1);
    await expect.poll(() => backend.state.status).toBe('running');
    expect(backend.pid).not.toBe(first);
    expect(backend.state.restarts).toBe(1);
    expect(backend.state.nextRestartAt).toBeUndefined();
    expect(events.map((e) => e.kind)).toEqual(['start', 'exit', 'restart', 'start']);
    expect(events[1]).toMatchObject({ kind: 'exit', signal: 'SIGKILL', expected: false, pid: first });
    expect(events[2]).toMatchObject({ kind: 'restart', delayMs: 1_000, attempt: 1 });
  });

  it('gives up on a crash loop with a reason, and schedules nothing more', async () => {
    const { backend, clock, events } = makeBackend({ args: [FIXTURE_SERVER, '--crash-on-start'], maxRestarts: 2 });
    await backend.start();
    expect(backend.state).toMatchObject({ status: 'error', nextRestartAt: clock.now() + 1_000 });
    expect(backend.state.reason).toContain('cannot open database');
    await expect.poll(() => clock.pending).toBe(1);
    await clock.advance(1_000);
    await expect.poll(() => backend.state.nextRestartAt).toBe(clock.now() + 2_000);
    await expect.poll(() => clock.pending).toBe(1);
    await clock.advance(2_000);
    await expect.poll(() => backend.state.reason).toMatch(/failed 3 times in 3 s; not restarting$/);
    expect(backend.state.status).toBe('error');
    expect(backend.state.nextRestartAt).toBeUndefined();
    expect(clock.pending).toBe(0);
    expect(events.filter((e) => e.kind === 'restart')).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ kind: 'error', reason: expect.stringContaining('not restarting') });
  });

  it('with restart "never", a crash is final', async () => {
    const { backend, clock } = makeBackend({ restart: 'never' });
    await backend.start();
    process.kill(backend.pid!, 'SIGKILL');
    await expect.poll(() => backend.state.status).toBe('error');
    expect(backend.state.nextRestartAt).toBeUndefined();
    expect(clock.pending).toBe(0);
  });

  it('a backend that stops answering pings becomes degraded, then is restarted', async () => {
    const { backend, clock, events } = makeBackend({ pingIntervalMs: 1_000 });
    await backend.start();
    const first = backend.pid!;
    const client = await sessionClient(backend);
    expect(text(await client.callTool({ name: 'freeze', arguments: {} }))).toBe('freezing');
    await new Promise((resolve) => setTimeout(resolve, 100)); // the fixture's event loop is now blocked
    await clock.advance(1_000); // ping sent
    await clock.advance(1_000); // and missed
    await expect.poll(() => backend.state.status).toBe('degraded');
    expect(backend.state.reason).toBe('did not answer ping within 1000 ms');
    expect(backend.isRoutable).toBe(true);
    await clock.advance(2_000); // second miss
    await expect.poll(() => backend.state.status).toBe('error');
    expect(backend.state.reason).toMatch(/^not answering: did not answer ping within 1000 ms \(2 in a row\); restarting in 1 s$/);
    await expect.poll(() => clock.pending, { timeout: 10_000 }).toBe(1); // the frozen process needs SIGTERM first
    await clock.advance(1_000);
    await expect.poll(() => backend.state.status).toBe('running');
    expect(backend.pid).not.toBe(first);
    expect(() => process.kill(first, 0)).toThrow();
    expect(events.map((e) => e.kind)).toEqual(['start', 'degraded', 'restart', 'exit', 'start']);
  });

  it('answers a call in flight at once when the backend dies, naming the server and what happened', async () => {
    const { backend } = makeBackend();
    await backend.start();
    const client = await sessionClient(backend);
    const started = Date.now();
    await expect(client.callTool({ name: 'crash', arguments: { code: 1 } })).rejects.toThrow(/Connection closed/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(backend.describeLostRequest('tools/call')).toBe('server "fx" exited (code 1) while handling tools/call');
  });

  it('a call past its timeout is cancelled towards the backend', async () => {
    const log = await makeCallLog();
    cleanups.push(() => log.remove());
    const { backend } = makeBackend({ env: { FIXTURE_CALL_LOG: log.path, FIXTURE_LABEL: 'fx' } });
    await backend.start();
    const client = await sessionClient(backend);
    await expect(client.callTool({ name: 'never_returns', arguments: {} }, { timeout: 300 })).rejects.toThrow(/timed out/i);
    await expect.poll(() => log.read()).toContain('fx:cancelled');
    // The backend is fine and still answers.
    expect(text(await client.callTool({ name: 'echo', arguments: { message: 'still here' } }))).toBe('fx: still here');
  });

  it('garbage on stdout is kept in the stderr tail and skipped', async () => {
    const { backend } = makeBackend({ args: [FIXTURE_SERVER, '--garbage-stdout'] });
    await backend.start();
    const client = await sessionClient(backend);
    await client.callTool({ name: 'garbage', arguments: {} });
    expect(text(await client.callTool({ name: 'echo', arguments: { message: 'ok' } }))).toBe('fixture: ok');
    expect(backend.stderrTail()).toContain('[stdout] this is not JSON-RPC');
    expect(backend.state.status).toBe('running');
  });

  it('a backend that exits after N calls is restarted and serves again', async () => {
    const { backend, clock } = makeBackend({ env: { FIXTURE_EXIT_AFTER: '2' } });
    await backend.start();
    const client = await sessionClient(backend);
    await client.callTool({ name: 'echo', arguments: { message: '1' } });
    await client.callTool({ name: 'echo', arguments: { message: '2' } });
    await expect.poll(() => backend.state.reason ?? '').toContain('process exited with code 2');
    await expect.poll(() => clock.pending).toBe(1);
    await clock.advance(1_000);
    await expect.poll(() => backend.state.status).toBe('running');
    const again = await sessionClient(backend);
    expect(text(await again.callTool({ name: 'echo', arguments: { message: '3' } }))).toBe('fixture: 3');
  });
});

describe('lazy start', () => {
  it('runs once to fill the cache, sleeps when idle, lists from the cache, and wakes on first use', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-lazy-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    // No pings: the fake clock would jump past a ping's timeout before the real answer arrives.
    const lazy = { startup: 'lazy', idleTimeoutMs: 60_000, pingIntervalMs: 0 };
    const { backend, clock, events } = makeBackend(lazy, { cacheDir: dir });

    await backend.activate(); // no cache yet: a first run fills it
    expect(backend.state.status).toBe('running');
    await expect.poll(() => existsSync(path.join(dir, 'fx.json'))).toBe(true);
    await clock.advance(60_000);
    await expect.poll(() => backend.state.status).toBe('stopped');
    expect(backend.state.reason).toBe('idle for 60 s (starts again on next use)');
    expect(backend.isDormant).toBe(true);
    expect(backend.isRoutable).toBe(true);
    expect(backend.catalog?.tools.map((t) => t.name)).toContain('echo');
    expect(events.map((e) => e.kind)).toEqual(['start', 'exit', 'stop']);

    // A new gateway run: the catalog comes from the file, nothing is spawned.
    const next = makeBackend(lazy, { cacheDir: dir });
    await next.backend.activate();
    expect(next.backend.state).toMatchObject({ status: 'stopped', reason: 'not started yet (lazy: starts on first use)' });
    expect(next.backend.pid).toBeUndefined();
    expect(next.backend.catalog?.tools.map((t) => t.name)).toContain('echo');

    const client = await sessionClient(next.backend); // first use starts it
    expect(next.backend.state.status).toBe('running');
    expect(text(await client.callTool({ name: 'echo', arguments: { message: 'awake' } }))).toBe('fixture: awake');

    // An open session that is busy keeps it up; a quiet one does not.
    await next.clock.advance(59_000);
    expect(next.backend.state.status).toBe('running');
    await client.callTool({ name: 'echo', arguments: { message: 'again' } });
    await next.clock.advance(59_000);
    expect(next.backend.state.status).toBe('running');
    await next.clock.advance(1_000);
    await expect.poll(() => next.backend.state.status).toBe('stopped');
    expect(next.backend.isDormant).toBe(true);
  });

  it('without a cache directory keeps the catalog in memory only', async () => {
    const { backend, clock } = makeBackend({ startup: 'lazy', idleTimeoutMs: 1_000, pingIntervalMs: 0 });
    await backend.activate();
    await clock.advance(1_000);
    await expect.poll(() => backend.isDormant).toBe(true);
    const fresh = makeBackend({ startup: 'lazy' });
    await fresh.backend.activate(); // nothing on disk: it has to run
    expect(fresh.backend.state.status).toBe('running');
  });

  it('a user stop is not dormancy: the server is not started behind the user\'s back', async () => {
    const { backend, clock } = makeBackend({ startup: 'lazy', idleTimeoutMs: 1_000 });
    await backend.activate();
    await backend.stop('stopped by user');
    expect(backend.isDormant).toBe(false);
    expect(backend.isRoutable).toBe(false);
    await expect(backend.openSessionTransport()).rejects.toThrow('server "fx" is stopped: stopped by user');
    expect(clock.pending).toBe(0);
  });
});
