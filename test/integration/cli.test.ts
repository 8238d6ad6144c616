/**
 * The `gatehouse` command as a user runs it: `node dist/main/cli.js ...` in a child process.
 * `npm test` builds dist/ first; when dist/main/cli.js is missing (running this file alone), it
 * is built here.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuditStore } from '../../main/core/audit/audit-store.js';
import { baseEnv, CliRunner, ensureCliBuilt, root, waitForExit, waitForStdout } from '../support/cli-runner.js';
import { isAlive } from '../support/processes.js';

const EVERYTHING = path.join(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

/** Backend pids seen in tests: killed (as a process group) after each test if still alive. */
const backendPids = new Set<number>();
let tmp: string;
const cli = new CliRunner(() => tmp);
const runCli = (args: string[], env?: NodeJS.ProcessEnv) => cli.run(args, env);
const serve = (args: string[], env?: NodeJS.ProcessEnv) => cli.serve(args, env);

async function waitUntilGone(pid: number, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

async function writeConfig(name: string, content: unknown): Promise<string> {
  const file = path.join(tmp, name);
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

beforeAll(async () => {
  ensureCliBuilt();
  tmp = await mkdtemp(path.join(tmpdir(), 'gatehouse-cli-'));
}, 120_000);

afterEach(async () => {
  await cli.stopAll();
  for (const pid of backendPids) {
    if (!isAlive(pid)) continue;
    try {
      process.kill(-pid, 'SIGKILL'); // the backend runs in its own process group
    } catch {
      process.kill(pid, 'SIGKILL');
    }
  }
  backendPids.clear();
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('gatehouse serve --config with an invalid file', () => {
  it('prints one line per problem, naming server and field, exits non-zero and starts nothing', async () => {
    const config = await writeConfig('bad.json', {
      mcpServers: {
        remote: { type: 'streamable-http', headers: { Authorization: 'Bearer x' } },
        'a b': { command: 'node' },
        listy: { command: 'node', args: 'server.js --verbose' },
        fine: { command: 'node', args: [EVERYTHING] },
      },
    });
    const dataDir = path.join(tmp, 'never-created');
    const run = runCli(['serve', '--config', config, '--port', '0', '--data-dir', dataDir]);
    const { code } = await waitForExit(run);

    expect(code).not.toBe(0);
    const problems = run.stderr().split('\n').filter((line) => /^\s+- /.test(line));
    expect(problems).toEqual([
      '  - server "remote": remote server needs "url"',
      '  - server "a b": name may contain only letters, digits, "-" and "_"',
      '  - server "listy": "args" must be an array of strings',
    ]);
    expect(run.stderr()).toContain('nothing was started');
    expect(run.stdout()).not.toContain('listening');
    // Nothing ran: not even the registry was opened.
    expect(existsSync(dataDir)).toBe(false);
  });

  it('reports a file that is not JSON', async () => {
    const config = await writeConfig('broken.json', '{ "mcpServers": { "x": { "command": "node", } ');
    const dataDir = path.join(tmp, 'never-created-2');
    const run = runCli(['serve', '--config', config, '--port', '0', '--data-dir', dataDir]);
    const { code } = await waitForExit(run);

    expect(code).not.toBe(0);
    const problems = run.stderr().split('\n').filter((line) => /^\s+- /.test(line));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('invalid JSON');
    expect(problems[0]).toContain('broken.json');
    expect(run.stdout()).not.toContain('listening');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('reports a config file that does not exist', async () => {
    const run = runCli(['serve', '--config', path.join(tmp, 'missing.json'), '--port', '0', '--data-dir', path.join(tmp, 'dd-missing')]);
    const { code } = await waitForExit(run);
    expect(code).not.toBe(0);
    expect(run.stderr()).toContain('missing.json');
  });
});

describe('gatehouse serve with a stdio server', () => {
  it('prints the URL and server state, serves /healthz and /admin, and stops its children on SIGTERM', async () => {
    const config = await writeConfig('good.json', {
      mcpServers: { everything: { command: process.execPath, args: [EVERYTHING] } },
    });
    const dataDir = await mkdtemp(path.join(tmp, 'data-'));
    const { run, url } = await serve(['--config', config, '--data-dir', dataDir]);

    const [, state] = await waitForStdout(run, /^\s+everything\s+stdio\s+(\S+)/m);
    expect(state).toBe('running');
    expect(run.stdout()).toContain(`${url}/mcp`);
    expect(existsSync(path.join(dataDir, 'registry.json'))).toBe(true);

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await health.json()).toMatchObject({ status: 'ok', servers: { total: 1, running: 1, error: 0 } });

    // The first serve created an admin token and printed it once.
    const [, adminToken] = await waitForStdout(run, /^Admin token \(shown once, copy it now\): (gth_\S+)$/m);
    expect((await fetch(`${url}/admin/servers`)).status).toBe(401);
    const admin = await fetch(`${url}/admin/servers`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(admin.status).toBe(200);
    const { servers } = (await admin.json()) as { servers: Array<{ name: string; status: string; pid?: number; toolCount: number }> };
    expect(servers).toHaveLength(1);
    const everything = servers[0]!;
    expect(everything).toMatchObject({ name: 'everything', transport: 'stdio', status: 'running' });
    expect(everything.toolCount).toBeGreaterThan(0);
    expect(everything.pid).toEqual(expect.any(Number));
    const pid = everything.pid!;
    backendPids.add(pid);
    expect(isAlive(pid)).toBe(true);

    run.child.kill('SIGTERM');
    const exit = await waitForExit(run);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await waitUntilGone(pid), `backend pid ${pid} still exists after the gateway exited`).toBe(true);
  });
});

describe('gatehouse serve with tokens', () => {
  it('requires the client token on MCP endpoints and the admin token on /admin', async () => {
    const clientToken = 'client-token-for-tests';
    const adminToken = 'admin-token-for-tests';
    const dataDir = await mkdtemp(path.join(tmp, 'data-'));
    const { url } = await serve(['--data-dir', dataDir], baseEnv({ GATEHOUSE_TOKEN: clientToken, GATEHOUSE_ADMIN_TOKEN: adminToken }));

    const noToken = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(noToken.status).toBe(401);
    // Plain Bearer: advertising OAuth discovery makes clients drop their static header.
    expect(noToken.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');

    const wrongToken = await fetch(`${url}/mcp`, { headers: { authorization: 'Bearer nope' } });
    expect(wrongToken.status).toBe(401);

    // The client token gets past auth (this GET without a session is then a 400, not a 401).
    const bearer = await fetch(`${url}/mcp`, { headers: { authorization: `Bearer ${clientToken}`, accept: 'text/event-stream' } });
    expect(bearer.status).not.toBe(401);
    const apiKey = await fetch(`${url}/mcp`, { headers: { 'x-api-key': clientToken, accept: 'text/event-stream' } });
    expect(apiKey.status).not.toBe(401);

    expect((await fetch(`${url}/admin/servers`)).status).toBe(401);
    const withClientToken = await fetch(`${url}/admin/servers`, { headers: { authorization: `Bearer ${clientToken}` } });
    expect(withClientToken.status).toBe(403);
    const withAdminToken = await fetch(`${url}/admin/servers`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(withAdminToken.status).toBe(200);
    expect(await withAdminToken.json()).toEqual({ servers: [] });

    // Health checks need no token.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('refuses a non-loopback --host without a client token', async () => {
    const run = runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', path.join(tmp, 'dd-host')]);
    const { code } = await waitForExit(run);
    expect(code).not.toBe(0);
    expect(run.stderr()).toMatch(/refusing to listen on 0\.0\.0\.0 without a client token.*gatehouse tokens create NAME.*GATEHOUSE_TOKEN/);
    expect(run.stdout()).not.toContain('listening');
  });
});

describe('gatehouse serve security', () => {
  it('prints a new admin token once on the first serve, keeps only its hash, and moves credentials out of the imported config', async () => {
    const config = await writeConfig('creds.json', {
      mcpServers: {
        everything: { command: process.execPath, args: [EVERYTHING], env: { SOME_API_KEY: 'sk-cli-plaintext-123' } },
        remote: { type: 'http', url: 'http://127.0.0.1:9/mcp', headers: { Authorization: 'Bearer ghp_cli_plaintext_456' }, enabled: false },
      },
    });
    const dataDir = await mkdtemp(path.join(tmp, 'data-'));
    const first = await serve(['--config', config, '--data-dir', dataDir]);
    const [, secret] = await waitForStdout(first.run, /^Admin token \(shown once, copy it now\): (gth_[A-Za-z0-9_-]{43})$/m);
    expect(first.run.stdout()).toContain('everything: env.SOME_API_KEY -> ${secret:everything-some_api_key}');
    expect(first.run.stdout()).toContain('remote: headers.Authorization -> ${secret:remote-authorization}');
    expect(first.run.stderr()).toMatch(/warning: .*the key to secrets\.enc is in .*secrets\.key/);
    const [, state] = await waitForStdout(first.run, /^\s+everything\s+stdio\s+(\S+)/m);
    expect(state).toBe('running');
    const tokensFile = await readFile(path.join(dataDir, 'tokens.json'), 'utf8');
    expect(tokensFile).not.toContain(secret!);
    const registry = await readFile(path.join(dataDir, 'registry.json'), 'utf8');
    expect(registry).not.toContain('sk-cli-plaintext-123');
    expect(registry).not.toContain('ghp_cli_plaintext_456');
    first.run.child.kill('SIGTERM');
    expect((await waitForExit(first.run)).code).toBe(0);

    // The next serve keeps the token (no new one printed), and the printed one still works.
    const second = await serve(['--data-dir', dataDir]);
    await waitForStdout(second.run, /^\s+everything\s+stdio\s+running/m);
    expect(second.run.stdout()).not.toContain('Admin token');
    expect((await fetch(`${second.url}/admin/servers`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    second.run.child.kill('SIGTERM');
    await waitForExit(second.run);
  });

  it('manages tokens from the command line; a stdio server added later waits for gatehouse approve', async () => {
    const dataDir = await mkdtemp(path.join(tmp, 'data-'));
    const created = runCli(['tokens', 'create', 'laptop', '--servers', 'everything', '--force', '--data-dir', dataDir]);
    expect((await waitForExit(created)).code).toBe(0);
    const clientSecret = created.stdout().trim();
    expect(clientSecret).toMatch(/^gth_/);
    const listed = runCli(['tokens', 'list', '--data-dir', dataDir]);
    expect((await waitForExit(listed)).code).toBe(0);
    expect(listed.stdout()).toMatch(/client\s+laptop\s+everything/);
    expect(listed.stdout()).not.toContain(clientSecret);

    const { run, url } = await serve(['--data-dir', dataDir]);
    const [, adminToken] = await waitForStdout(run, /^Admin token \(shown once, copy it now\): (gth_\S+)$/m);
    const admin = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
    const added = await fetch(`${url}/admin/servers`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: 'everything', command: process.execPath, args: [EVERYTHING] }),
    });
    expect(await added.json()).toMatchObject({ status: 'stopped', approval: 'pending' });
    const approve = runCli(['approve', 'everything', '--data-dir', dataDir]);
    expect((await waitForExit(approve)).code).toBe(0);
    expect(approve.stdout()).toContain(`command line: ${process.execPath} ${EVERYTHING}`);
    await expect
      .poll(async () => ((await (await fetch(`${url}/admin/servers/everything`, { headers: admin })).json()) as { status: string }).status, {
        timeout: 10_000,
      })
      .toBe('running');
    const mcp = await fetch(`${url}/servers/everything/mcp`, { headers: { authorization: `Bearer ${clientSecret}`, accept: 'text/event-stream' } });
    expect(mcp.status).not.toBe(401);
    await mcp.body?.cancel();
  });
});

describe('gatehouse usage', () => {
  it('--help prints the usage and exits 0', async () => {
    const run = runCli(['--help']);
    expect((await waitForExit(run)).code).toBe(0);
    expect(run.stdout()).toContain('Usage: gatehouse serve');
    expect(run.stdout()).toContain('--config FILE');
  });

  it('an unknown command exits 2', async () => {
    const run = runCli(['frobnicate']);
    expect((await waitForExit(run)).code).toBe(2);
    expect(run.stderr()).toContain('unknown command "frobnicate"');
  });

  it('an unknown option exits 2', async () => {
    const run = runCli(['serve', '--no-such-option']);
    expect((await waitForExit(run)).code).toBe(2);
  });
});

describe('gatehouse audit', () => {
  it('keeps every answered call on the timeline through a kill -9 of the gateway, and verifies and exports it', async () => {
    const config = await writeConfig('audit.json', {
      mcpServers: { fx: { command: process.execPath, args: [path.join(root, 'test/fixtures/fixture-server.mjs')] } },
    });
    const dataDir = await mkdtemp(path.join(tmp, 'data-'));
    const { run, url } = await serve(['--config', config, '--data-dir', dataDir]);
    const client = new Client({ name: 'crash-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    const answered: string[] = [];
    for (let i = 0; i < 20; i++) {
      await client.callTool({ name: 'fx__echo', arguments: { message: `call-${i}` } });
      answered.push(`call-${i}`);
    }
    // No clean shutdown: every answered call must already be on disk.
    run.child.kill('SIGKILL');
    await waitForExit(run);
    await client.close().catch(() => {});

    const audit = await AuditStore.open({ dir: path.join(dataDir, 'audit'), readOnly: true });
    try {
      const page = await audit.query({ method: ['tools/call'], limit: 100 });
      const messages = page.items.map((e) => (e.args as { message?: string }).message).sort();
      expect(messages).toEqual([...answered].sort());
      expect(page.items.every((e) => e.outcome === 'ok' && e.server === 'fx' && e.client?.name === 'crash-test')).toBe(true);
    } finally {
      await audit.close();
    }

    const verify = runCli(['audit', 'verify', '--data-dir', dataDir]);
    expect((await waitForExit(verify)).code).toBe(0);
    const exported = runCli(['audit', 'export', '--format', 'csv', '--method', 'tools/call', '--data-dir', dataDir]);
    expect((await waitForExit(exported)).code).toBe(0);
    expect(exported.stdout().trim().split('\n')).toHaveLength(1 + answered.length);
  });
});
