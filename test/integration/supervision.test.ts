/**
 * Supervision through a real gateway, with real clocks: a client sees a killed backend come
 * back, crash loops end in `error`, silent backends are restarted, a backend dying mid-call
 * fails the call at once, editing one server leaves the others' sessions alone, and no
 * backend process outlives a gateway that is killed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_SERVER, clientPool, makeCallLog, startGateway, text, type RunningGateway } from './harness.js';
import { isAlive } from '../support/processes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pool = clientPool();
let gw: RunningGateway | undefined;

afterEach(async () => {
  await pool.closeAll();
  await gw?.stop();
  gw = undefined;
});

const fixture = (args: string[] = [], extra: Record<string, unknown> = {}) => ({ command: process.execPath, args: [FIXTURE_SERVER, ...args], ...extra });

async function admin(path: string, init: RequestInit = {}): Promise<Response> {
  return gw!.admin(path, init);
}

async function view(name: string): Promise<{ status: string; reason?: string; pid?: number }> {
  return (await (await admin(`/admin/servers/${name}`)).json()) as { status: string; reason?: string; pid?: number };
}

async function toolNames(client: Awaited<ReturnType<typeof pool.connect>>): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name);
}

describe('supervision through the gateway', () => {
  it('a client sees the tools of a backend killed with SIGKILL again after the backoff', async () => {
    gw = await startGateway({ fx: fixture() });
    const client = await pool.connect(`${gw.url}/mcp`);
    const before = (await view('fx')).pid!;
    expect(await toolNames(client)).toContain('fx__echo');
    process.kill(before, 'SIGKILL');
    await expect.poll(async () => (await view('fx')).status).toBe('error');
    expect((await view('fx')).reason).toMatch(/^process exited with signal SIGKILL; restarting in \d+ (ms|s)$/);
    await expect.poll(async () => (await view('fx')).status, { timeout: 5_000 }).toBe('running');
    expect((await view('fx')).pid).not.toBe(before);
    await expect.poll(() => toolNames(client)).toContain('fx__echo');
    expect(text(await client.callTool({ name: 'fx__echo', arguments: { message: 'back' } }))).toBe('fixture: back');
  });

  it('a crash loop ends in error with a reason, and nothing spins after it', async () => {
    gw = await startGateway({ loop: fixture(['--crash-on-start'], { maxRestarts: 1 }) });
    await expect.poll(async () => (await view('loop')).reason ?? '', { timeout: 8_000 }).toMatch(/failed 2 times in \d+ (ms|s); not restarting$/);
    const final = await view('loop');
    expect(final.status).toBe('error');
    expect(final).not.toHaveProperty('nextRestartAt');
  });

  it('a backend that stops answering pings is marked degraded, then restarted', async () => {
    gw = await startGateway({ fx: fixture([], { pingIntervalMs: 300 }) });
    const client = await pool.connect(`${gw.url}/servers/fx/mcp`);
    const before = (await view('fx')).pid!;
    const seen = new Set<string>();
    expect(text(await client.callTool({ name: 'freeze', arguments: {} }))).toBe('freezing');
    await expect
      .poll(
        async () => {
          const v = await view('fx');
          seen.add(v.status);
          return v.status === 'running' && v.pid !== before;
        },
        { timeout: 10_000, interval: 50 },
      )
      .toBe(true);
    expect(seen).toContain('degraded');
    expect(() => process.kill(before, 0)).toThrow();
  });

  it('a call in flight when the backend dies is answered at once with an error naming the server', async () => {
    gw = await startGateway({ fx: fixture() });
    const client = await pool.connect(`${gw.url}/mcp`);
    const started = Date.now();
    const error = await client.callTool({ name: 'fx__crash', arguments: { code: 1 } }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error?.message).toContain('"fx"');
  });

  it('editing, disabling and removing server B leaves a client session on server A alone', async () => {
    const log = await makeCallLog();
    gw = await startGateway({
      a: fixture([], { env: { FIXTURE_LABEL: 'a', FIXTURE_CALL_LOG: log.path } }),
      b: fixture([], { env: { FIXTURE_LABEL: 'b' } }),
    });
    const perServer = await pool.connect(`${gw.url}/servers/a/mcp`);
    const aggregate = await pool.connect(`${gw.url}/mcp`);
    const pidA = (await view('a')).pid;
    const call = async () => {
      expect(text(await perServer.callTool({ name: 'echo', arguments: { message: 'x' } }))).toBe('a: x');
      expect(text(await aggregate.callTool({ name: 'a__echo', arguments: { message: 'y' } }))).toBe('a: y');
    };
    await call();
    const put = (body: unknown) => admin('/admin/servers/b', { method: 'PUT', body: JSON.stringify(body) });
    expect((await put(fixture([], { env: { FIXTURE_LABEL: 'b2' } }))).status).toBe(200);
    await call();
    expect((await put(fixture([], { enabled: false }))).status).toBe(200);
    await call();
    expect((await admin('/admin/servers/b', { method: 'DELETE' })).status).toBe(200);
    await call();
    expect((await admin('/admin/servers', { method: 'POST', body: JSON.stringify({ name: 'c', ...fixture() }) })).status).toBe(201);
    await call();
    expect((await view('a')).pid).toBe(pidA);
    expect((await log.read()).trim().split('\n')).toHaveLength(10);
    await log.remove();
  });
});

// ---------------------------------------------------------------------------------------------

/** The CLI compiled into a folder of its own (dist/ belongs to `npm test`). */
let cliDir: string;
const gateways = new Set<ChildProcess>();

describe.skipIf(process.platform === 'win32')('no orphans when the gateway dies', () => {
  beforeAll(async () => {
    cliDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-cli-'));
    const tsc = path.join(root, 'node_modules/.bin/tsc');
    // Type errors elsewhere in a working tree still emit; only a missing cli.js is fatal.
    spawnSync(tsc, ['-p', path.join(root, 'tsconfig.build.json'), '--outDir', cliDir], { cwd: root, stdio: 'ignore' });
    await copyFile(path.join(root, 'package.json'), path.join(cliDir, 'package.json'));
    await symlink(path.join(root, 'node_modules'), path.join(cliDir, 'node_modules'), 'dir');
  }, 120_000);

  afterAll(async () => {
    for (const child of gateways) child.kill('SIGKILL');
    await rm(cliDir, { recursive: true, force: true });
  });

  for (const signal of ['SIGKILL', 'SIGTERM', 'SIGINT'] as const) {
    it(`leaves no backend or grandchild process after ${signal}`, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-orphans-'));
      const pidFile = path.join(dir, 'pids.txt');
      await writeFile(
        path.join(dir, 'config.json'),
        JSON.stringify({
          mcpServers: {
            leaky: fixture(['--leak-child'], { env: { FIXTURE_PID_FILE: pidFile } }),
            plain: fixture([], { env: { FIXTURE_PID_FILE: pidFile } }),
          },
        }),
      );
      const env: NodeJS.ProcessEnv = { ...process.env };
      delete env.GATEHOUSE_TOKEN;
      delete env.GATEHOUSE_ADMIN_TOKEN;
      const child = spawn(
        process.execPath,
        [path.join(cliDir, 'main/cli.js'), 'serve', '--config', path.join(dir, 'config.json'), '--port', '0', '--data-dir', path.join(dir, 'data')],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      gateways.add(child);
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      child.stderr!.resume();
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await expect.poll(() => out, { timeout: 20_000 }).toMatch(/listening on/);

      const pids = (await readFile(pidFile, 'utf8')).trim().split('\n').map((line) => Number(line.split(' ')[1]));
      expect(pids).toHaveLength(3); // two servers and the leaked grandchild
      expect(pids.every(isAlive)).toBe(true);

      child.kill(signal);
      await exited;
      gateways.delete(child);
      await expect.poll(() => pids.filter(isAlive), { timeout: 5_000 }).toEqual([]);
      await rm(dir, { recursive: true, force: true });
    });
  }
});

