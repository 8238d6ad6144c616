import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StdioServerConfig } from '../../../../../shared/server-config.js';
import { APPROVALS_FILE, ApprovalStore, describeLaunch, launchFingerprint } from '../../../../../main/core/security/approvals.js';

const files: StdioServerConfig = {
  transport: 'stdio',
  command: 'npx',
  args: ['-y', '@modelcontextprotocol/server-filesystem', '/home/me/Documents'],
  env: { GITHUB_TOKEN: '${secret:github}', MODE: 'ro' },
  isolation: 'shared',
  enabled: true,
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-approvals-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('launch approvals', () => {
  it('needs approval for stdio servers only, and persists it (0600)', async () => {
    const store = await ApprovalStore.open(dir);
    expect(store.status('files', files)).toBe('pending');
    expect(store.needsApproval('files', files)).toBe(true);
    expect(store.status('remote', { transport: 'sse', url: 'https://x.example/sse', headers: {}, enabled: true })).toBe('not-needed');

    const events: string[] = [];
    store.onDidChange((e) => events.push(`${e.type}:${e.server}`));
    await store.approve('files', files, 'cli');
    expect(store.status('files', files)).toBe('approved');
    expect(events).toEqual(['approved:files']);
    const reopened = await ApprovalStore.open(dir);
    expect(reopened.needsApproval('files', files)).toBe(false);
    expect(reopened.get('files')).toMatchObject({ source: 'cli', fingerprint: launchFingerprint(files) });
    if (process.platform !== 'win32') expect((await stat(path.join(dir, APPROVALS_FILE))).mode & 0o777).toBe(0o600);
  });

  it('is invalidated by a change of command, args, cwd or env', async () => {
    const store = await ApprovalStore.open(dir);
    await store.approve('files', files, 'config-file');
    const changes: StdioServerConfig[] = [
      { ...files, command: 'node' },
      { ...files, args: [...files.args, '/'] },
      { ...files, args: ['-y', '@modelcontextprotocol/server-filesystem', '/'] },
      { ...files, cwd: '/tmp' },
      { ...files, env: { ...files.env, NODE_OPTIONS: '--require /tmp/evil.js' } },
      { ...files, env: { ...files.env, MODE: 'rw' } },
      { ...files, env: { ...files.env, GITHUB_TOKEN: '${secret:other}' } },
    ];
    for (const changed of changes) expect(store.status('files', changed), JSON.stringify(changed)).toBe('changed');
    // Not part of the launch: enabling, filters, isolation.
    expect(store.status('files', { ...files, enabled: false, toolFilter: { block: ['x'] }, isolation: 'per-client' })).toBe('approved');
    // Env order does not matter.
    expect(store.status('files', { ...files, env: { MODE: 'ro', GITHUB_TOKEN: '${secret:github}' } })).toBe('approved');
  });

  it('keeps secret references (not values) in the fingerprint and in the file', async () => {
    const store = await ApprovalStore.open(dir);
    await store.approve('files', files, 'ui');
    const text = await readFile(path.join(dir, APPROVALS_FILE), 'utf8');
    expect(text).not.toContain('secret:github');
    expect(launchFingerprint(files)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('forgets an approval, and sees one written by another process', async () => {
    const serve = await ApprovalStore.open(dir);
    const cli = await ApprovalStore.open(dir);
    await cli.approve('files', files, 'cli');
    expect(serve.status('files', files)).toBe('pending');
    await serve.refresh();
    expect(serve.status('files', files)).toBe('approved');
    expect(await serve.forget('files')).toBe(true);
    expect(await serve.forget('files')).toBe(false);
    expect(serve.status('files', files)).toBe('pending');
  });

  it('treats a damaged file as no approvals, keeping a copy', async () => {
    await writeFile(path.join(dir, APPROVALS_FILE), 'nope');
    const store = await ApprovalStore.open(dir);
    expect(store.warnings[0]).toMatch(/damaged; copied it to approvals\.json\.backup-/);
    expect(store.status('files', files)).toBe('pending');
  });

  it('describes the fully resolved launch', async () => {
    const bin = path.join(dir, 'bin');
    await mkdir(bin);
    await writeFile(path.join(bin, 'npx'), '#!/bin/sh\n');
    await chmod(path.join(bin, 'npx'), 0o755);
    const launch = describeLaunch('files', { ...files, args: [...files.args, 'it has spaces'] }, { PATH: bin, platform: 'linux', cwd: '/srv' });
    expect(launch).toEqual({
      server: 'files',
      command: 'npx',
      resolvedCommand: path.join(bin, 'npx'),
      args: ['-y', '@modelcontextprotocol/server-filesystem', '/home/me/Documents', 'it has spaces'],
      commandLine: `${path.join(bin, 'npx')} -y @modelcontextprotocol/server-filesystem /home/me/Documents 'it has spaces'`,
      cwd: '/srv',
      cwdIsDefault: true,
      envNames: ['GITHUB_TOKEN', 'MODE'],
      secretRefs: ['github'],
      fingerprint: launchFingerprint({ ...files, args: [...files.args, 'it has spaces'] }),
    });
    const missing = describeLaunch('x', { ...files, command: 'no-such-tool', cwd: '/work' }, { PATH: bin, platform: 'linux' });
    expect(missing.resolvedCommand).toBeUndefined();
    expect(missing).toMatchObject({ commandLine: expect.stringMatching(/^no-such-tool /), cwd: '/work', cwdIsDefault: false });
  });
});
