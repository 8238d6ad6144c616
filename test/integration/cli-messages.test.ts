/**
 * What the `gatehouse` binary says when the user gets something wrong (issue 17): config files
 * with typos, broken JSON or another client's layout; unknown commands, clients, servers and
 * options; secrets in use; tool counts over a client's cap.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../../main/core/config/registry.js';
import { baseEnv, CliRunner, ensureCliBuilt, waitForExit, waitForStdout } from '../support/cli-runner.js';
import { SERVERS } from './harness.js';

let tmp: string;
const cli = new CliRunner(() => tmp);

beforeAll(async () => {
  ensureCliBuilt();
  tmp = await mkdtemp(path.join(tmpdir(), 'gatehouse-cli-messages-'));
}, 120_000);
afterEach(async () => {
  await cli.stopAll();
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const p = path.join(tmp, name);
  await writeFile(p, text);
  return p;
}

/** Runs `gatehouse ...args` to its end: its exit code and output. */
async function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = cli.run(args, opts.env, opts.input === undefined ? {} : { stdin: opts.input });
  const { code } = await waitForExit(run, 20_000);
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** The `  - ...` problem lines `serve` prints for an invalid config. */
const problems = (stderr: string): string[] => stderr.split('\n').filter((line) => line.startsWith('  - '));

describe('serve --config: errors as documented', () => {
  it('suggests "command" and "url" for a lone misspelling of either', async () => {
    const config = await file('typos.json', JSON.stringify({ mcpServers: { files: { comand: 'npx', args: ['x'] }, remote: { urll: 'https://a.example/mcp' } } }));
    const { code, stderr } = await runCli(['serve', '--config', config, '--port', '0', '--data-dir', path.join(tmp, 'never-1')]);
    expect(code).toBe(1);
    expect(problems(stderr)).toEqual([
      '  - server "files": unknown field "comand" (did you mean "command"?)',
      '  - server "remote": unknown field "urll" (did you mean "url"?)',
    ]);
  });

  it('says the line and column of a JSON syntax error', async () => {
    const config = await file('comma.json', '{\n  "mcpServers": {\n    "a": { "command": "node", }\n  }\n}\n');
    const { code, stderr } = await runCli(['serve', '--config', config, '--port', '0', '--data-dir', path.join(tmp, 'never-2')]);
    expect(code).toBe(1);
    expect(problems(stderr)).toEqual([`  - ${config}: invalid JSON at line 3, column 31: a comma before "}" (JSON allows none there)`]);
  });

  it('accepts a VS Code mcp.json ("servers") as the import screen does', async () => {
    const config = await file('vscode-mcp.json', JSON.stringify({ inputs: [], servers: { memory: { type: 'stdio', command: process.execPath, args: [SERVERS.memory] } } }));
    const { run } = await cli.serve(['--config', config, '--data-dir', path.join(tmp, 'data-vscode')]);
    await waitForStdout(run, /^\s+memory\s+stdio\s+running\s+\d+ tools$/m);
  });
});

describe('mistyped commands, clients and options', () => {
  it('suggests the command a typo meant', async () => {
    const { code, stderr } = await runCli(['token', 'list']);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe('gatehouse: unknown command "token" (did you mean "tokens"?)');
  });

  it('suggests the client a typo meant', async () => {
    const { code, stderr } = await runCli(['client', 'show', 'claud-desktop']);
    expect(code).toBe(2);
    expect(stderr).toBe('gatehouse client: unknown client "claud-desktop" (did you mean "claude-desktop"?); see gatehouse client list\n');
  });

  it.each([
    [['tokens', 'list', '--serverz', 'a'], 'gatehouse tokens: unknown option --serverz (did you mean --servers?)'],
    [['secrets', 'list', '--forse'], 'gatehouse secrets: unknown option --forse (did you mean --force?)'],
    [['serve', '--prot', '7000'], 'gatehouse serve: unknown option --prot (did you mean --port?)'],
    [['client', 'show', 'cursor', '--server'], 'gatehouse client: --server needs a value'],
    [['tokens', 'create', 'x', '--admin=yes'], 'gatehouse tokens: --admin takes no value'],
    [['bridge', 'extra'], 'gatehouse bridge: unexpected argument "extra"'],
  ])('%j: one clear line, then the usage', async (args, line) => {
    const { code, stderr } = await runCli(args);
    expect(code).toBe(2);
    const [first, blank, usage] = stderr.split('\n');
    expect(first).toBe(line);
    expect(blank).toBe('');
    expect(usage).toMatch(/^Usage/);
    expect(stderr).not.toContain('To specify a positional argument');
  });
});

describe('servers that are not in the registry', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = path.join(tmp, 'data-registry');
    const registry = await Registry.open(dataDir);
    await registry.importServers({
      memory: { transport: 'stdio', command: process.execPath, args: [SERVERS.memory], env: {}, isolation: 'shared', enabled: true },
      github: { transport: 'streamable-http', url: 'https://api.example/mcp', headers: {}, enabled: true },
    });
    registry.dispose();
  });

  it('tokens create --servers refuses unknown names, with a suggestion, unless --force', async () => {
    const refused = await runCli(['tokens', 'create', 'ci', '--servers', 'memory,githb,nosuch', '--data-dir', dataDir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      'gatehouse tokens: unknown server "githb" (did you mean "github"?)\n' +
        'gatehouse tokens: unknown server "nosuch"\n' +
        'The registry has: memory, github. Nothing was created; --force creates the token anyway.\n',
    );
    expect(refused.stdout).toBe('');
    expect((await runCli(['tokens', 'list', '--data-dir', dataDir])).stdout).toBe('No tokens stored.\n');

    const forced = await runCli(['tokens', 'create', 'ci', '--servers', 'nosuch', '--force', '--data-dir', dataDir]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^gth_\S+\n$/);
    expect((await runCli(['tokens', 'create', 'ok', '--servers', 'memory', '--data-dir', dataDir])).code).toBe(0);
  });

  it('client show --server names the unknown server and prints no snippet', async () => {
    const { code, stdout, stderr } = await runCli(['client', 'show', 'cursor', '--server', 'memry', '--data-dir', dataDir]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('gatehouse client: unknown server "memry" (did you mean "memory"?)\nThe registry has: memory, github.\n');
  });
});

describe('secrets in use', () => {
  it('secrets delete of a secret in use refuses without a terminal, naming the servers; --force deletes', async () => {
    const secretsDir = path.join(tmp, 'data-secrets');
    await runCli(['secrets', 'set', 'memory-key', '--data-dir', secretsDir], { input: 'k3y' });
    const registry = await Registry.open(secretsDir);
    await registry.put('keyed', { transport: 'stdio', command: 'node', args: [], env: { API_KEY: '${secret:memory-key}' }, isolation: 'shared', enabled: true });
    registry.dispose();
    const refused = await runCli(['secrets', 'delete', 'memory-key', '--data-dir', secretsDir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'gatehouse secrets: "memory-key" is used by keyed (env.API_KEY); it cannot start without it. Nothing was deleted; --force deletes it anyway.\n',
    );
    expect((await runCli(['secrets', 'list', '--data-dir', secretsDir])).stdout).toMatch(/^memory-key\s/m);
    const forced = await runCli(['secrets', 'delete', 'memory-key', '--force', '--data-dir', secretsDir]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toBe('Deleted secret "memory-key". keyed cannot start without it until it is set again.\n');
  });
});

describe('client show and the running gateway', () => {
  it('warns about more tools than the client takes, counted from the live tool list', async () => {
    const dataDir = path.join(tmp, 'data-live');
    const everything = { command: process.execPath, args: [SERVERS.everything] };
    const config = await file('many.json', JSON.stringify({ mcpServers: { a: everything, b: everything, c: everything } }));
    const { run, url } = await cli.serve(['--config', config, '--data-dir', dataDir]);
    const [, adminToken] = await waitForStdout(run, /^Admin token \(shown once, copy it now\): (gth_\S+)$/m);
    await waitForStdout(run, /^\s+c\s+stdio\s+running/m);
    const listed = (await (await fetch(`${url}/admin/tools`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { tools: Array<{ enabled: boolean }> };
    const enabled = listed.tools.filter((t) => t.enabled).length;
    expect(enabled).toBeGreaterThan(40);

    const env = baseEnv({ GATEHOUSE_ADMIN_TOKEN: adminToken! });
    const all = await runCli(['client', 'show', 'cursor', '--url', url, '--data-dir', dataDir], { env });
    expect(all.code).toBe(0);
    expect(all.stdout).toContain(`warning: Cursor sends only the first 40 tools to the agent (40); this endpoint offers ${enabled} tools.`);
    const one = await runCli(['client', 'show', 'cursor', '--server', 'a', '--url', url, '--data-dir', dataDir], { env });
    expect(one.code).toBe(0);
    expect(one.stdout).not.toContain('warning: Cursor');

    // Without an admin token the counts cannot be read: said, not guessed.
    const blind = await runCli(['client', 'show', 'cursor', '--url', url, '--data-dir', dataDir]);
    expect(blind.code).toBe(0);
    expect(blind.stdout).not.toContain('warning: Cursor');
    expect(blind.stderr).toContain('gatehouse client: tool counts and name lengths not checked: set GATEHOUSE_ADMIN_TOKEN to an admin token');
  }, 60_000);
});
