import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openHeadlessSecretStore } from '../../../../../main/core/security/headless-secrets.js';
import {
  DPAPI_BLOB_FILE,
  KEY_FILE,
  obtainSecretsKey,
  SecretsKeyUnavailableError,
  type CommandResult,
  type CommandRunner,
} from '../../../../../main/core/security/keyring.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-keyring-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Call {
  command: string;
  args: readonly string[];
  input: string | undefined;
}

/** A runner that answers like the real tools, from an in-memory "keyring". */
function fakeRunner(handler: (call: Call) => CommandResult | Error): CommandRunner & { calls: Call[] } {
  const calls: Call[] = [];
  const run = (async (command, args, input) => {
    const call = { command, args, input };
    calls.push(call);
    const result = handler(call);
    if (result instanceof Error) throw result;
    return result;
  }) as CommandRunner & { calls: Call[] };
  run.calls = calls;
  return run;
}

const ok = (stdout = ''): CommandResult => ({ code: 0, stdout, stderr: '' });
const enoent = (command: string): Error => Object.assign(new Error(`spawn ${command} ENOENT`), { code: 'ENOENT' });

describe('keyring providers', () => {
  it('Linux: stores the key with secret-tool (on stdin) and finds it again', async () => {
    let stored: string | undefined;
    const run = fakeRunner(({ command, args, input }) => {
      expect(command).toBe('secret-tool');
      if (args[0] === 'lookup') return stored === undefined ? { code: 1, stdout: '', stderr: '' } : ok(stored);
      stored = input;
      return ok();
    });
    const first = await obtainSecretsKey({ dataDir: dir, platform: 'linux', run });
    expect(first).toMatchObject({ source: 'keyring', location: 'libsecret (secret-tool)' });
    expect(first.warning).toBeUndefined();
    const store = run.calls.find((c) => c.args[0] === 'store')!;
    expect(store.args).toEqual(['store', '--label=Gatehouse secrets key', 'service', 'gatehouse', 'account', 'secrets-key']);
    // The key never appears on a command line.
    expect(run.calls.flatMap((c) => c.args).join(' ')).not.toContain(first.key.toString('base64'));

    const second = await obtainSecretsKey({ dataDir: dir, platform: 'linux', run });
    expect(second.key.equals(first.key)).toBe(true);
  });

  it('macOS: uses security find-generic-password, and add-generic-password through stdin', async () => {
    let stored: string | undefined;
    const run = fakeRunner(({ command, args, input }) => {
      expect(command).toBe('security');
      if (args[0] === 'find-generic-password') {
        expect(args).toEqual(['find-generic-password', '-s', 'gatehouse', '-a', 'secrets-key', '-w']);
        return stored === undefined ? { code: 44, stdout: '', stderr: 'The specified item could not be found in the keychain.' } : ok(`${stored}\n`);
      }
      expect(args).toEqual(['-i']);
      stored = /-w (\S+)\n$/.exec(input!)![1];
      return ok();
    });
    const first = await obtainSecretsKey({ dataDir: dir, platform: 'darwin', run });
    expect(first.source).toBe('keyring');
    expect(first.location).toBe('macOS keychain (security)');
    expect((await obtainSecretsKey({ dataDir: dir, platform: 'darwin', run })).key.equals(first.key)).toBe(true);
  });

  it('Windows: protects the key with DPAPI through PowerShell and keeps the blob in a file', async () => {
    // Fake DPAPI: "protect" reverses the base64 text, "unprotect" reverses it back.
    const reverse = (s: string): string => [...s].reverse().join('');
    const run = fakeRunner(({ command, args, input }) => {
      expect(command).toBe('powershell.exe');
      expect(args.slice(0, 3)).toEqual(['-NoProfile', '-NonInteractive', '-EncodedCommand']);
      const script = Buffer.from(args[3]!, 'base64').toString('utf16le');
      expect(script).toMatch(/ProtectedData/);
      expect(script).toMatch(/CurrentUser/);
      return ok(reverse(input!));
    });
    const first = await obtainSecretsKey({ dataDir: dir, platform: 'win32', run });
    expect(first).toMatchObject({ source: 'keyring', location: 'Windows DPAPI (powershell.exe)' });
    const blob = await readFile(path.join(dir, DPAPI_BLOB_FILE), 'utf8');
    expect(blob.trim()).toBe(reverse(first.key.toString('base64')));
    if (process.platform !== 'win32') expect((await stat(path.join(dir, DPAPI_BLOB_FILE))).mode & 0o777).toBe(0o600);
    expect((await obtainSecretsKey({ dataDir: dir, platform: 'win32', run })).key.equals(first.key)).toBe(true);
  });
});

describe('key file fallback', () => {
  it('uses a 0600 key file with a warning when the keyring tool is missing (ENOENT)', async () => {
    const run = fakeRunner(({ command }) => enoent(command));
    const found = await obtainSecretsKey({ dataDir: dir, platform: 'linux', run });
    const keyFile = path.join(dir, KEY_FILE);
    expect(found.source).toBe('key-file');
    expect(found.location).toBe(keyFile);
    expect(found.warning).toBe(
      `no OS keyring reachable (secret-tool not found); the key to secrets.enc is in ${keyFile} — anyone who can read that file can read your secrets`,
    );
    expect(Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'base64').equals(found.key)).toBe(true);
    if (process.platform !== 'win32') expect((await stat(keyFile)).mode & 0o777).toBe(0o600);

    // Every start says it again, with the same key.
    const again = await obtainSecretsKey({ dataDir: dir, platform: 'linux', run });
    expect(again.key.equals(found.key)).toBe(true);
    expect(again.warning).toBe(found.warning);
  });

  it('falls back when the keyring answers with an error (no D-Bus session)', async () => {
    const run = fakeRunner(() => ({ code: 1, stdout: '', stderr: 'Cannot autolaunch D-Bus without X11 $DISPLAY\n' }));
    const found = await obtainSecretsKey({ dataDir: dir, platform: 'linux', run });
    expect(found.source).toBe('key-file');
    expect(found.warning).toMatch(/^no OS keyring reachable \(secret-tool failed: Cannot autolaunch D-Bus without X11 \$DISPLAY\)/);
  });

  it('falls back when the keyring does not keep the key', async () => {
    const run = fakeRunner(({ args }) => (args[0] === 'lookup' ? { code: 1, stdout: '', stderr: '' } : ok()));
    const found = await obtainSecretsKey({ dataDir: dir, platform: 'linux', run });
    expect(found.source).toBe('key-file');
    expect(found.warning).toMatch(/did not keep the key/);
  });

  it('uses the key file when the keyring is turned off, or on a platform without one', async () => {
    const run = fakeRunner(() => ok());
    expect((await obtainSecretsKey({ dataDir: dir, keyring: 'none', run })).warning).toMatch(/^the keyring is turned off; the key to secrets\.enc is in/);
    await rm(path.join(dir, KEY_FILE));
    expect((await obtainSecretsKey({ dataDir: dir, platform: 'aix', run })).warning).toMatch(/^no keyring support on aix/);
    expect(run.calls).toEqual([]);
  });

  it('never makes a new key for an existing secrets.enc whose key is gone', async () => {
    await writeFile(path.join(dir, 'secrets.enc'), '{}');
    const missing = fakeRunner(() => ({ code: 1, stdout: '', stderr: '' }));
    await expect(obtainSecretsKey({ dataDir: dir, platform: 'linux', run: missing })).rejects.toThrow(SecretsKeyUnavailableError);
    const unreachable = fakeRunner(({ command }) => enoent(command));
    await expect(obtainSecretsKey({ dataDir: dir, platform: 'linux', run: unreachable })).rejects.toThrow(/secret-tool not found/);
    expect(missing.calls.some((c) => c.args[0] === 'store')).toBe(false);
  });

  it('opens the headless store end to end on the fallback, and the store works', async () => {
    const run = fakeRunner(({ command }) => enoent(command));
    const first = await openHeadlessSecretStore({ dataDir: dir, platform: 'darwin', run });
    expect(first.keySource).toBe('key-file');
    expect(first.warning).toMatch(/no OS keyring reachable \(security not found\)/);
    await first.store.set('github', 'ghp_x');
    const second = await openHeadlessSecretStore({ dataDir: dir, platform: 'darwin', run });
    expect(await second.store.get('github')).toBe('ghp_x');
  });

  it('refuses a key file that does not hold a key', async () => {
    await writeFile(path.join(dir, KEY_FILE), 'short');
    await expect(obtainSecretsKey({ dataDir: dir, keyring: 'none' })).rejects.toThrow(/32-byte base64 key/);
  });
});
