import { describe, expect, it } from 'vitest';
import { EncryptedFileSecretStore } from '../../../../../main/core/security/encrypted-file-store.js';
import { defaultSecretStoreStatus, headlessSecretStoreStatus } from '../../../../../main/core/security/secret-store-status.js';
import { MemorySecretStore } from '../../../../../main/core/security/secret-store.js';
import { SecretStoreUnavailableError, UnavailableSecretStore } from '../../../../../main/core/security/unavailable-secret-store.js';

describe('UnavailableSecretStore', () => {
  it('holds nothing and refuses every write with the reason and what to do', async () => {
    const store = new UnavailableSecretStore('Electron reports no keyring on this system (basic_text).');
    let fired = 0;
    store.onDidChange(() => fired++);
    expect(await store.get('gh')).toBeUndefined();
    expect(store.has('gh')).toBe(false);
    expect(store.list()).toEqual([]);
    expect(store.values()).toEqual([]);
    await store.refresh();
    expect(store.unavailableReason).toBe('Electron reports no keyring on this system (basic_text).');

    const error = await store.set('gh', 'ghp_x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretStoreUnavailableError);
    expect(error).toMatchObject({
      reason: 'Electron reports no keyring on this system (basic_text).',
      message: 'No secret can be stored: Electron reports no keyring on this system (basic_text). See "Secret store" in Settings.',
    });
    await expect(store.delete('gh')).rejects.toBeInstanceOf(SecretStoreUnavailableError);
    expect(fired).toBe(0);
  });

  it('takes a remedy of its own', async () => {
    const store = new UnavailableSecretStore('the file is damaged', 'Move it away and restart');
    await expect(store.set('a', 'b')).rejects.toThrow('No secret can be stored: the file is damaged. Move it away and restart.');
  });
});

describe('secret store status', () => {
  it('says where the headless key is: the OS keyring, or a plain file with the warning', () => {
    expect(headlessSecretStoreStatus({ keySource: 'keyring', keyLocation: 'libsecret (secret-tool)' })).toEqual({
      kind: 'os-keyring',
      message: 'Secrets are encrypted in secrets.enc; the key is kept in libsecret (secret-tool).',
    });
    expect(headlessSecretStoreStatus({ keySource: 'key-file', keyLocation: '/d/secrets.key', warning: 'no OS keyring reachable; the key...' })).toEqual({
      kind: 'key-file',
      message: 'no OS keyring reachable; the key...',
    });
    expect(headlessSecretStoreStatus({ keySource: 'key-file', keyLocation: '/d/secrets.key' }).message).toContain('/d/secrets.key');
  });

  it('guesses from the store when nobody said', () => {
    expect(defaultSecretStoreStatus(undefined, false)).toEqual({ kind: 'unavailable', message: 'no secret store' });
    expect(defaultSecretStoreStatus(new UnavailableSecretStore('why'), true)).toEqual({ kind: 'unavailable', message: 'why' });
    const file = Object.create(EncryptedFileSecretStore.prototype) as EncryptedFileSecretStore;
    expect(defaultSecretStoreStatus(file, true)).toEqual({ kind: 'encrypted-file' });
    expect(defaultSecretStoreStatus(new MemorySecretStore(), false).kind).toBe('encrypted-file');
    expect(defaultSecretStoreStatus(new MemorySecretStore(), true).kind).toBe('safe-storage');
  });
});
