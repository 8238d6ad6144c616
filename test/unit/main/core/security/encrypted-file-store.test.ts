import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EncryptedFileSecretStore, SECRETS_FILE, SecretStoreError } from '../../../../../main/core/security/encrypted-file-store.js';

let dir: string;
const key = randomBytes(32);
const file = (): string => path.join(dir, SECRETS_FILE);

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-secrets-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('EncryptedFileSecretStore', () => {
  it('round-trips secrets through an encrypted 0600 file', async () => {
    const store = await EncryptedFileSecretStore.open({ dataDir: dir, key });
    const events: string[] = [];
    store.onDidChange((e) => events.push(`${e.type}:${e.name}`));
    await store.set('github', 'ghp_supersecretvalue123');
    await store.set('db-password', 'hunter2-but-longer');
    expect(events).toEqual(['set:github', 'set:db-password']);

    const raw = await readFile(file(), 'utf8');
    expect(raw).not.toContain('ghp_supersecretvalue123');
    expect(raw).not.toContain('hunter2');
    expect(raw).not.toContain('github'); // names are encrypted too
    expect(JSON.parse(raw)).toMatchObject({ format: 'gatehouse-secrets', version: 1, cipher: 'aes-256-gcm' });
    if (process.platform !== 'win32') expect((await stat(file())).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const reopened = await EncryptedFileSecretStore.open({ dataDir: dir, key });
    expect(await reopened.get('github')).toBe('ghp_supersecretvalue123');
    expect(reopened.list().map((s) => s.name)).toEqual(['db-password', 'github']);
    expect(JSON.stringify(reopened.list())).not.toContain('ghp_');
    expect(reopened.values().sort()).toEqual(['ghp_supersecretvalue123', 'hunter2-but-longer']);
    expect(await reopened.delete('github')).toBe(true);
    expect(await reopened.delete('github')).toBe(false);
    expect(await reopened.get('github')).toBeUndefined();
  });

  it('uses a fresh IV for every write', async () => {
    const store = await EncryptedFileSecretStore.open({ dataDir: dir, key });
    await store.set('a', 'same');
    const first = JSON.parse(await readFile(file(), 'utf8')) as { iv: string; data: string };
    await store.set('a', 'same');
    const second = JSON.parse(await readFile(file(), 'utf8')) as { iv: string; data: string };
    expect(second.iv).not.toBe(first.iv);
    expect(second.data).not.toBe(first.data);
  });

  it('refuses a wrong key with a clear error and leaves the file alone', async () => {
    const store = await EncryptedFileSecretStore.open({ dataDir: dir, key });
    await store.set('github', 'value');
    const before = await readFile(file());
    const error = await EncryptedFileSecretStore.open({ dataDir: dir, key: randomBytes(32) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretStoreError);
    expect((error as SecretStoreError).code).toBe('wrong-key');
    expect((error as Error).message).toMatch(/different key/);
    expect(await readFile(file())).toEqual(before);
  });

  it('detects a tampered file, backs it up and does not overwrite it', async () => {
    const store = await EncryptedFileSecretStore.open({ dataDir: dir, key });
    await store.set('github', 'value');
    const envelope = JSON.parse(await readFile(file(), 'utf8')) as { data: string };
    const data = Buffer.from(envelope.data, 'base64');
    data[0]! ^= 1;
    const tampered = JSON.stringify({ ...envelope, data: data.toString('base64') });
    await writeFile(file(), tampered);

    const error = (await EncryptedFileSecretStore.open({ dataDir: dir, key }).catch((e: unknown) => e)) as SecretStoreError;
    expect(error.code).toBe('corrupt');
    expect(error.message).toMatch(/integrity check/);
    expect(await readFile(file(), 'utf8')).toBe(tampered);
    expect(await readFile(error.backup!, 'utf8')).toBe(tampered);
  });

  it('reports a file that is not a secrets file as corrupt, keeping it', async () => {
    await writeFile(file(), 'garbage');
    const error = (await EncryptedFileSecretStore.open({ dataDir: dir, key }).catch((e: unknown) => e)) as SecretStoreError;
    expect(error.code).toBe('corrupt');
    expect(await readFile(file(), 'utf8')).toBe('garbage');
    expect(path.basename(error.backup!)).toMatch(/^secrets\.enc\.backup-/);
  });

  it('sees changes another process made before reading or writing', async () => {
    const serve = await EncryptedFileSecretStore.open({ dataDir: dir, key });
    await serve.set('one', '1');
    const cli = await EncryptedFileSecretStore.open({ dataDir: dir, key });
    await cli.set('two', '2');
    expect(await serve.get('two')).toBe('2');
    await serve.set('three', '3');
    const after = await EncryptedFileSecretStore.open({ dataDir: dir, key });
    expect(after.list().map((s) => s.name)).toEqual(['one', 'three', 'two']);
  });

  it('validates names and values', async () => {
    const store = await EncryptedFileSecretStore.open({ dataDir: dir, key });
    await expect(store.set('bad name', 'x')).rejects.toThrow(/secret name/);
    await expect(store.set('ok', '')).rejects.toThrow(/empty/);
    await expect(EncryptedFileSecretStore.open({ dataDir: dir, key: randomBytes(16) })).rejects.toThrow(/32 bytes/);
  });
});
