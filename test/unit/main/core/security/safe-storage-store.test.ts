import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SAFE_STORAGE_FILE,
  SafeStorageSecretStore,
  SafeStorageUnavailableError,
  type SafeStorageLike,
} from '../../../../../main/core/security/safe-storage-store.js';

/** A fake safeStorage: XOR with a per-instance byte and a marker, so foreign blobs fail like the real one. */
function fakeSafeStorage(opts: { available?: boolean; backend?: string; mask?: number } = {}): SafeStorageLike & { encrypted: number } {
  const mask = opts.mask ?? 0x5a;
  const fake = {
    encrypted: 0,
    isEncryptionAvailable: () => opts.available ?? true,
    encryptString(plain: string): Buffer {
      fake.encrypted++;
      return Buffer.concat([Buffer.from([mask]), Buffer.from(plain, 'utf8').map((b) => b ^ mask)]);
    },
    decryptString(blob: Buffer): string {
      if (blob[0] !== mask) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return Buffer.from(blob.subarray(1).map((b) => b ^ mask)).toString('utf8');
    },
    ...(opts.backend ? { getSelectedStorageBackend: () => opts.backend! } : {}),
  };
  return fake;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-safestorage-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SafeStorageSecretStore', () => {
  it('stores each value encrypted by safeStorage, in a 0600 file, and reads it back', async () => {
    const safeStorage = fakeSafeStorage();
    const store = await SafeStorageSecretStore.open({ dataDir: dir, safeStorage });
    await store.set('github', 'ghp_plaintext_token');
    expect(safeStorage.encrypted).toBe(1);
    const file = path.join(dir, SAFE_STORAGE_FILE);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('ghp_plaintext_token');
    expect(JSON.parse(text)).toMatchObject({ version: 1, secrets: { github: { blob: expect.any(String) } } });
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);

    const reopened = await SafeStorageSecretStore.open({ dataDir: dir, safeStorage });
    expect(await reopened.get('github')).toBe('ghp_plaintext_token');
    expect(reopened.list()).toEqual([{ name: 'github', updatedAt: expect.any(String) }]);
    expect(await reopened.delete('github')).toBe(true);
    expect(JSON.parse(await readFile(file, 'utf8')).secrets).toEqual({});
  });

  it('refuses to run without encryption, or on the basic_text backend', async () => {
    await expect(SafeStorageSecretStore.open({ dataDir: dir, safeStorage: fakeSafeStorage({ available: false }) })).rejects.toThrow(
      SafeStorageUnavailableError,
    );
    await expect(SafeStorageSecretStore.open({ dataDir: dir, safeStorage: fakeSafeStorage({ backend: 'basic_text' }) })).rejects.toThrow(
      /basic_text/,
    );
    expect(await SafeStorageSecretStore.open({ dataDir: dir, safeStorage: fakeSafeStorage({ backend: 'gnome_libsecret' }) })).toBeInstanceOf(
      SafeStorageSecretStore,
    );
  });

  it('keeps a file it cannot decrypt, with a copy, and says so', async () => {
    const store = await SafeStorageSecretStore.open({ dataDir: dir, safeStorage: fakeSafeStorage({ mask: 1 }) });
    await store.set('github', 'value');
    const file = path.join(dir, SAFE_STORAGE_FILE);
    const before = await readFile(file, 'utf8');
    await expect(SafeStorageSecretStore.open({ dataDir: dir, safeStorage: fakeSafeStorage({ mask: 2 }) })).rejects.toThrow(
      /cannot decrypt.*copied to secrets\.safestorage\.json\.backup-/,
    );
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('reports a damaged file', async () => {
    await writeFile(path.join(dir, SAFE_STORAGE_FILE), '[]');
    await expect(SafeStorageSecretStore.open({ dataDir: dir, safeStorage: fakeSafeStorage() })).rejects.toThrow(/not a Gatehouse secrets file/);
  });

  it('leaves the store unchanged when encryption fails during a write', async () => {
    const safeStorage = fakeSafeStorage();
    const store = await SafeStorageSecretStore.open({ dataDir: dir, safeStorage });
    await store.set('a', '1');
    safeStorage.encryptString = () => {
      throw new Error('keychain locked');
    };
    await expect(store.set('b', '2')).rejects.toThrow(/keychain locked/);
    expect(store.has('b')).toBe(false);
  });
});
