import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../../../../shared/server-config.js';
import { runApproveCommand } from '../../../../../main/cli/approve-command.js';
import { runSecretsCommand, type CommandIo } from '../../../../../main/cli/secrets-command.js';
import { Registry } from '../../../../../main/core/config/registry.js';
import { ApprovalStore } from '../../../../../main/core/security/approvals.js';
import { openHeadlessSecretStore } from '../../../../../main/core/security/headless-secrets.js';
import type { CommandRunner } from '../../../../../main/core/security/keyring.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function io(stdin = ''): CommandIo & { out: string; err: string } {
  const result = {
    out: '',
    err: '',
    stdout: (t: string) => void (result.out += t),
    stderr: (t: string) => void (result.err += t),
    readStdin: () => Promise.resolve(stdin),
  };
  return result;
}

const noKeyring: CommandRunner = (command) => Promise.reject(Object.assign(new Error(`spawn ${command} ENOENT`), { code: 'ENOENT' }));
const opts = { run: noKeyring, platform: 'linux' as const };

describe('gatehouse secrets', () => {
  it('sets from stdin (one trailing newline dropped), lists names only, deletes', async () => {
    const set = io('ghp_from_stdin \n');
    expect(await runSecretsCommand(['set', 'github'], set, dir, opts)).toBe(0);
    expect(set.out).toBe('Stored secret "github". Refer to it as ${secret:github}.\n');
    expect(set.err).toMatch(/warning: no OS keyring reachable \(secret-tool not found\); the key to secrets\.enc is in .*secrets\.key/);
    const { store } = await openHeadlessSecretStore({ dataDir: dir, ...opts });
    expect(await store.get('github')).toBe('ghp_from_stdin ');
    expect(await readFile(path.join(dir, 'secrets.enc'), 'utf8')).not.toContain('ghp_from_stdin');

    const list = io();
    expect(await runSecretsCommand(['list'], list, dir, opts)).toBe(0);
    expect(list.out).toMatch(/^github\s+set \d{4}-/);
    expect(list.out).not.toContain('ghp_');

    const del = io();
    expect(await runSecretsCommand(['delete', 'github'], del, dir, opts)).toBe(0);
    expect(del.out).toBe('Deleted secret "github".\n');
    expect(await runSecretsCommand(['delete', 'github'], io(), dir, opts)).toBe(1);
    const empty = io();
    await runSecretsCommand(['list'], empty, dir, opts);
    expect(empty.out).toBe('No secrets stored.\n');
  });

  it('refuses an empty value, a bad name and bad usage', async () => {
    const empty = io('\n');
    expect(await runSecretsCommand(['set', 'x'], empty, dir, opts)).toBe(1);
    expect(empty.err).toMatch(/empty/);
    expect(await runSecretsCommand(['set', 'bad name'], io('v'), dir, opts)).toBe(2);
    expect(await runSecretsCommand(['set'], io('v'), dir, opts)).toBe(2);
    expect(await runSecretsCommand(['set', 'a', 'b'], io('v'), dir, opts)).toBe(2);
    expect(await runSecretsCommand(['list', 'x'], io(), dir, opts)).toBe(2);
    expect(await runSecretsCommand(['frobnicate'], io(), dir, opts)).toBe(2);
    expect(await runSecretsCommand(['--help'], io(), dir, opts)).toBe(0);
  });
});

describe('gatehouse secrets and the servers that use them', () => {
  const servers: Record<string, ServerConfig> = {
    gh: { transport: 'streamable-http', url: 'https://api.example/mcp', headers: { Authorization: 'Bearer ${secret:github}' }, enabled: true },
    tool: { transport: 'stdio', command: 'tool', args: [], env: { GITHUB_TOKEN: '${secret:github}' }, isolation: 'shared', enabled: true },
    other: { transport: 'stdio', command: 'other', args: [], env: { KEY: '${secret:other}' }, isolation: 'shared', enabled: true },
  };
  const USERS = 'gh (headers.Authorization) and tool (env.GITHUB_TOKEN)';

  beforeEach(async () => {
    const registry = await Registry.open(dir);
    await registry.importServers(servers);
    registry.dispose();
    expect(await runSecretsCommand(['set', 'github'], io('ghp_old'), dir, opts)).toBe(0);
  });

  /** An io on a terminal that answers each question with the next of `answers`. */
  function onTerminal(answers: boolean[], stdin = ''): ReturnType<typeof io> & { questions: string[] } {
    const questions: string[] = [];
    return Object.assign(io(stdin), {
      questions,
      confirm: async (question: string) => (questions.push(question), answers.shift() ?? false),
    });
  }

  async function stored(name: string): Promise<string | undefined> {
    const { store } = await openHeadlessSecretStore({ dataDir: dir, ...opts });
    try {
      return await store.get(name);
    } finally {
      store.dispose();
    }
  }

  it('delete asks on a terminal, naming the servers; "no" keeps the secret', async () => {
    const no = onTerminal([false]);
    expect(await runSecretsCommand(['delete', 'github'], no, dir, opts)).toBe(1);
    expect(no.questions).toEqual([`Secret "github" is used by ${USERS}; they cannot start without it. Delete it?`]);
    expect(no.err).toContain('Nothing was deleted.');
    expect(await stored('github')).toBe('ghp_old');

    const yes = onTerminal([true]);
    expect(await runSecretsCommand(['delete', 'github'], yes, dir, opts)).toBe(0);
    expect(yes.out).toBe('Deleted secret "github". gh and tool cannot start without it until it is set again.\n');
    expect(await stored('github')).toBeUndefined();
  });

  it('delete without a terminal refuses a secret in use unless --force', async () => {
    const refused = io();
    expect(await runSecretsCommand(['delete', 'github'], refused, dir, opts)).toBe(2);
    expect(refused.err).toContain(`gatehouse secrets: "github" is used by ${USERS}; they cannot start without it. Nothing was deleted; --force deletes it anyway.\n`);
    expect(await stored('github')).toBe('ghp_old');

    expect(await runSecretsCommand(['delete', 'github', '--force'], io(), dir, opts)).toBe(0);
    expect(await stored('github')).toBeUndefined();
    // A secret nobody uses goes without a question.
    expect(await runSecretsCommand(['set', 'spare'], io('v'), dir, opts)).toBe(0);
    expect(await runSecretsCommand(['delete', 'spare'], io(), dir, opts)).toBe(0);
  });

  it('set notices "Bearer " going into a header that already writes "Bearer ${secret:...}"', async () => {
    const piped = io('Bearer ghp_new\n');
    expect(await runSecretsCommand(['set', 'github'], piped, dir, opts)).toBe(0);
    expect(piped.err).toContain(
      'warning: the value starts with "Bearer ", and gh sends headers.Authorization as "Bearer ${secret:github}": the server would get "Bearer Bearer ...". ' +
        'Store the token alone (without "Bearer ").\n',
    );
    expect(await stored('github')).toBe('Bearer ghp_new');

    const strip = onTerminal([true], 'Bearer ghp_newer');
    expect(await runSecretsCommand(['set', 'github'], strip, dir, opts)).toBe(0);
    expect(strip.questions).toEqual(['Store it without "Bearer "?']);
    expect(await stored('github')).toBe('ghp_newer');

    const keep = onTerminal([false], 'Bearer ghp_kept');
    expect(await runSecretsCommand(['set', 'github'], keep, dir, opts)).toBe(0);
    expect(await stored('github')).toBe('Bearer ghp_kept');

    // A value without the scheme, or a header without one, raises nothing.
    const plain = onTerminal([], 'ghp_plain');
    expect(await runSecretsCommand(['set', 'github'], plain, dir, opts)).toBe(0);
    expect(plain.err + plain.questions.join('')).not.toContain('Bearer');
    const other = onTerminal([], 'Bearer abc');
    expect(await runSecretsCommand(['set', 'other'], other, dir, opts)).toBe(0);
    expect(other.questions).toEqual([]);
  });
});

describe('gatehouse approve', () => {
  const servers: Record<string, ServerConfig> = {
    files: { transport: 'stdio', command: 'tool', args: ['--root', '/data'], env: { KEY: '${secret:k}' }, isolation: 'shared', enabled: true },
    remote: { transport: 'sse', url: 'https://x.example/sse', headers: {}, enabled: true },
  };
  const registry = {
    get: (name: string) => servers[name],
    list: () => Object.entries(servers).map(([name, config]) => ({ name, config })),
  };

  it('prints the launch and approves it', async () => {
    const bin = path.join(dir, 'bin');
    await mkdir(bin);
    await writeFile(path.join(bin, 'tool'), '#!/bin/sh\n');
    await chmod(path.join(bin, 'tool'), 0o755);
    const out = io();
    expect(await runApproveCommand(['files'], out, dir, registry, { PATH: bin, platform: 'linux' })).toBe(0);
    expect(out.out).toContain(`command line: ${path.join(bin, 'tool')} --root /data`);
    expect(out.out).toContain('env:          KEY');
    expect(out.out).toContain('secrets:      k');
    expect(out.out).toMatch(/Approved\./);
    expect((await ApprovalStore.open(dir)).status('files', servers['files']!)).toBe('approved');

    const again = io();
    await runApproveCommand(['files'], again, dir, registry, { PATH: bin, platform: 'linux' });
    expect(again.out).toMatch(/Already approved/);
    const list = io();
    await runApproveCommand(['--list'], list, dir, registry);
    expect(list.out).toMatch(/^files\s+approved$/m);
  });

  it('explains remote and unknown servers', async () => {
    const remote = io();
    expect(await runApproveCommand(['remote'], remote, dir, registry)).toBe(0);
    expect(remote.out).toMatch(/needs no approval/);
    const unknown = io();
    expect(await runApproveCommand(['ghost'], unknown, dir, registry)).toBe(1);
    expect(unknown.err).toMatch(/no server named "ghost"/);
    expect(await runApproveCommand([], io(), dir, registry)).toBe(2);
  });
});
