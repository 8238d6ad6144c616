/**
 * `gatehouse serve` and its data dir, with the built command: one gateway per data dir (and the
 * CLI's writing commands beside it), the URL it records for `client` and `bridge`, the admin
 * token across a failed first start, the data dir's permissions, where relative paths point,
 * and the limit flags.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, CliRunner, ensureCliBuilt, root, waitForExit, waitForStdout } from '../support/cli-runner.js';

const FIXTURE = path.join(root, 'test/fixtures/fixture-server.mjs');

let tmp: string;
const cli = new CliRunner(() => tmp);
const servers: Server[] = [];

beforeAll(async () => {
  ensureCliBuilt();
  tmp = await mkdtemp(path.join(tmpdir(), 'gatehouse-cli-dd-'));
}, 120_000);

afterEach(async () => {
  await cli.stopAll();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function newDataDir(): Promise<string> {
  return mkdtemp(path.join(tmp, 'data-'));
}

async function writeJson(file: string, value: unknown): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(value, null, 2));
  return file;
}

/** Runs a command to its end; its exit code and output. */
async function complete(args: string[], env?: NodeJS.ProcessEnv, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = cli.run(args, env, stdin === undefined ? {} : { stdin });
  const { code } = await waitForExit(run);
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

function mode(info: { mode: number }): string {
  return (info.mode & 0o777).toString(8);
}

describe('one gateway per data dir', () => {
  it('refuses a second serve, naming the running one; the CLI writes beside it; the audit chain stays whole', async () => {
    const dataDir = await newDataDir();
    const config = await writeJson(path.join(tmp, 'one.json'), { mcpServers: { fx: { command: process.execPath, args: [FIXTURE] } } });
    const first = await cli.serve(['--config', config, '--data-dir', dataDir]);
    await waitForStdout(first.run, /^\s+fx\s+stdio\s+running/m);

    const second = cli.run(['serve', '--port', '0', '--config', config, '--data-dir', dataDir]);
    expect((await waitForExit(second)).code).toBe(1);
    expect(second.stderr()).toContain(`another Gatehouse gateway is using the data dir ${dataDir}`);
    expect(second.stderr()).toContain(`pid ${first.run.child.pid}`);
    expect(second.stderr()).toContain(`listening on ${first.url}`);
    expect(second.stdout()).not.toContain('listening');

    // The first one still serves, and the writing commands work beside it.
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    const token = await complete(['tokens', 'create', 'beside', '--data-dir', dataDir]);
    expect(token.code).toBe(0);
    expect(token.stdout).toMatch(/^gth_/);
    const secret = cli.run(['secrets', 'set', 'beside', '--data-dir', dataDir], baseEnv(), { stdin: 'value-beside' });
    expect((await waitForExit(secret)).code).toBe(0);
    expect((await complete(['approve', '--list', '--data-dir', dataDir])).code).toBe(0);
    // The running gateway picks the new token up (it re-reads tokens.json).
    const admitted = async (): Promise<boolean> => {
      const response = await fetch(`${first.url}/admin/servers`, { headers: { authorization: `Bearer ${token.stdout.trim()}` } });
      return response.status !== 401;
    };
    await expect.poll(admitted, { timeout: 10_000 }).toBe(true);

    first.run.child.kill('SIGTERM');
    expect((await waitForExit(first.run)).code).toBe(0);
    expect(existsSync(path.join(dataDir, 'gateway.lock'))).toBe(false);
    const verify = await complete(['audit', 'verify', '--data-dir', dataDir]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout + verify.stderr).not.toMatch(/BROKEN/);
  });

  it('takes over the lock of a gateway that was killed', async () => {
    const dataDir = await newDataDir();
    const first = await cli.serve(['--data-dir', dataDir]);
    first.run.child.kill('SIGKILL');
    await waitForExit(first.run);
    expect(existsSync(path.join(dataDir, 'gateway.lock'))).toBe(true);
    const second = await cli.serve(['--data-dir', dataDir]);
    expect((await fetch(`${second.url}/healthz`)).status).toBe(200);
  });
});

describe('where the gateway listens', () => {
  it('is recorded in the data dir while it runs; client show reads it, and --url takes the base or the endpoint', async () => {
    const dataDir = await newDataDir();
    // `client show --server` names a server of the registry.
    const config = await writeJson(path.join(tmp, 'memory.json'), { mcpServers: { memory: { command: process.execPath, args: [FIXTURE] } } });
    const { run, url } = await cli.serve(['--config', config, '--data-dir', dataDir]);
    const lock = JSON.parse(await readFile(path.join(dataDir, 'gateway.lock'), 'utf8')) as { pid: number; url: string };
    expect(lock).toMatchObject({ pid: run.child.pid, url });

    const aggregate = await complete(['client', 'show', 'cursor', '--data-dir', dataDir]);
    expect(aggregate.code).toBe(0);
    expect(aggregate.stdout).toContain(`"url": "${url}/mcp"`);
    const perServer = await complete(['client', 'show', 'cursor', '--server', 'memory', '--data-dir', dataDir]);
    expect(perServer.stdout).toContain(`"url": "${url}/servers/memory/mcp"`);
    // The endpoint as serve prints it, with --server: that server's endpoint.
    const fromEndpoint = await complete(['client', 'show', 'cursor', '--url', 'http://127.0.0.1:7610/mcp', '--server', 'memory', '--data-dir', dataDir]);
    expect(fromEndpoint.stdout).toContain('"url": "http://127.0.0.1:7610/servers/memory/mcp"');
    const fromBase = await complete(['client', 'show', 'cursor', '--url', 'http://127.0.0.1:7610', '--data-dir', dataDir]);
    expect(fromBase.stdout).toContain('"url": "http://127.0.0.1:7610/mcp"');
    // gatehouse auth talks to the admin API of the gateway running on the data dir.
    const [, adminToken] = await waitForStdout(run, /^Admin token \(shown once, copy it now\): (gth_\S+)$/m);
    const auth = await complete(['auth', 'status', '--data-dir', dataDir], baseEnv({ GATEHOUSE_ADMIN_TOKEN: adminToken! }));
    expect(auth.code, auth.stderr).toBe(0);
    expect(auth.stdout).toContain('No remote server uses OAuth.');

    run.child.kill('SIGTERM');
    await waitForExit(run);
    // Gone with the gateway: the default again, and a note saying why.
    const stopped = await complete(['client', 'show', 'cursor', '--data-dir', dataDir]);
    expect(stopped.stdout).toContain('"url": "http://127.0.0.1:7420/mcp"');
    expect(stopped.stderr).toContain(`no gateway is running on ${dataDir}`);
  });

  it('labels the control UI in the startup output', async () => {
    const { run, url } = await cli.serve(['--data-dir', await newDataDir()]);
    expect(run.stdout()).toMatch(new RegExp(`^  control UI: ${url.replace(/[.]/g, '\\.')}/ `, 'm'));
  });
});

describe('the admin token', () => {
  it('is not lost when the first start fails; later starts say how to get another', async () => {
    const dataDir = await newDataDir();
    const blocker = createServer();
    servers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;

    const failed = cli.run(['serve', '--port', String(taken), '--data-dir', dataDir]);
    expect((await waitForExit(failed)).code).toBe(1);
    expect(failed.stderr()).toContain(`port ${taken} is already in use`);
    // The token nobody saw is not kept.
    expect((await complete(['tokens', 'list', '--data-dir', dataDir])).stdout).not.toMatch(/\badmin\b/);

    const first = await cli.serve(['--data-dir', dataDir]);
    const [, secret] = await waitForStdout(first.run, /^Admin token \(shown once, copy it now\): (gth_\S+)$/m);
    expect((await fetch(`${first.url}/admin/servers`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    first.run.child.kill('SIGTERM');
    await waitForExit(first.run);

    const second = await cli.serve(['--data-dir', dataDir]);
    expect(second.run.stdout()).not.toContain('shown once');
    expect(second.run.stdout()).toContain('gatehouse tokens create NAME --admin');
  });
});

describe.skipIf(process.platform === 'win32')('data dir permissions', () => {
  it('tightens a Gatehouse data dir that others could read, and its files', async () => {
    const dataDir = path.join(tmp, 'wide');
    await mkdir(dataDir, { mode: 0o755 });
    await chmod(dataDir, 0o755);
    await writeFile(path.join(dataDir, 'registry.json'), JSON.stringify({ version: 1, servers: {} }), { mode: 0o644 });
    await chmod(path.join(dataDir, 'registry.json'), 0o644);
    const { run } = await cli.serve(['--data-dir', dataDir]);
    expect(mode(await stat(dataDir))).toBe('700');
    expect(mode(await stat(path.join(dataDir, 'registry.json')))).toBe('600');
    expect(run.stderr()).toContain(`the data dir ${dataDir} was open to other users (mode 0755); it is now 0700`);
  });

  it('writes registry.json with mode 0600', async () => {
    const dataDir = await newDataDir();
    const config = await writeJson(path.join(tmp, 'reg.json'), { mcpServers: { off: { url: 'http://127.0.0.1:9/mcp', enabled: false } } });
    await cli.serve(['--config', config, '--data-dir', dataDir]);
    expect(mode(await stat(path.join(dataDir, 'registry.json')))).toBe('600');
  });

  it('refuses a folder open to others that holds other things', async () => {
    const shared = path.join(tmp, 'shared');
    await mkdir(shared, { mode: 0o775 });
    await chmod(shared, 0o775);
    await writeFile(path.join(shared, 'notes.txt'), 'not ours');
    const run = cli.run(['serve', '--port', '0', '--data-dir', shared]);
    expect((await waitForExit(run)).code).toBe(1);
    expect(run.stderr()).toContain(`the data dir ${shared} is open to other users (mode 0775)`);
    expect(run.stderr()).toContain(`chmod 700 ${shared}`);
    expect(mode(await stat(shared))).toBe('775');
    expect(existsSync(path.join(shared, 'registry.json'))).toBe(false);
  });
});

describe('relative paths', () => {
  it('under npm run serve resolve where the command was typed; stdio servers run in the config file\'s folder', async () => {
    const typedIn = await mkdtemp(path.join(tmp, 'typed-'));
    await writeJson(path.join(typedIn, 'conf', 'mcp.json'), { mcpServers: { local: { command: process.execPath, args: ['./server.mjs'] } } });
    // A server started as "./server.mjs": it exists only beside the config file.
    await writeFile(path.join(typedIn, 'conf', 'server.mjs'), `import ${JSON.stringify(FIXTURE)};\n`);
    // What npm does: the package folder as working directory, the user's folder in INIT_CWD.
    const npmEnv = baseEnv({ INIT_CWD: typedIn, npm_lifecycle_event: 'serve' });
    const { run } = await cli.serve(['--config', 'conf/mcp.json', '--data-dir', 'data'], npmEnv, { cwd: root });
    await waitForStdout(run, /^\s+local\s+stdio\s+running/m);
    expect(run.stdout()).toContain(`data dir:   ${path.join(typedIn, 'data')}`);
  });

  it('a config file that is not there: the error shows the path it tried', async () => {
    const typedIn = await mkdtemp(path.join(tmp, 'typed-'));
    const npmEnv = baseEnv({ INIT_CWD: typedIn, npm_lifecycle_event: 'serve' });
    const run = cli.run(['serve', '--port', '0', '--config', 'nope.json'], npmEnv, { cwd: root });
    expect((await waitForExit(run)).code).toBe(1);
    expect(run.stderr()).toContain(`cannot read config nope.json (looked for ${path.join(typedIn, 'nope.json')})`);
  });
});

describe('limit flags', () => {
  it('serve --help lists a flag for every limit', async () => {
    const help = await complete(['serve', '--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--max-body-bytes', '--headers-timeout-ms', '--request-timeout-ms', '--session-idle-ms', '--max-sessions', '--rate-per-second', '--rate-burst']) {
      expect(help.stdout).toContain(flag);
    }
  });

  it('refuses a bad value, naming the flag', async () => {
    const bad = await complete(['serve', '--port', '0', '--data-dir', await newDataDir(), '--max-body-bytes', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-body-bytes must be a number (got "lots")');
    const negative = await complete(['serve', '--port', '0', '--data-dir', await newDataDir(), '--rate-per-second', '0']);
    expect(negative.code).toBe(2);
    expect(negative.stderr).toContain('--rate-per-second must be more than 0 (got "0")');
  });

  it('applies a limit given as a flag', async () => {
    const { url } = await cli.serve(['--data-dir', await newDataDir(), '--max-body-bytes', '1000']);
    const big = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(2000) } }),
    });
    expect(big.status).toBe(413);
  });
});
