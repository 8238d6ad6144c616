import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../../../../shared/server-config.js';
import { runApproveCommand } from '../../../../../main/cli/approve-command.js';
import { runSecretsCommand, type CommandIo } from '../../../../../main/cli/secrets-command.js';
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
