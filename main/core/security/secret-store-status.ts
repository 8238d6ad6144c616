/**
 * What `GET /admin/info` says about the secret store ({@link SecretStoreStatus}). The one who
 * opened the store knows best: `serve` passes {@link headlessSecretStoreStatus}, the desktop app
 * its own; {@link defaultSecretStoreStatus} is the gateway's guess when nobody said.
 */
import type { SecretStoreStatus } from '../../../shared/control-api.js';
import { EncryptedFileSecretStore, SECRETS_FILE } from './encrypted-file-store.js';
import type { HeadlessSecrets } from './headless-secrets.js';
import { SafeStorageSecretStore } from './safe-storage-store.js';
import type { SecretStore } from './secret-store.js';

/** The status of the headless store `openHeadlessSecretStore` opened: key in the OS keyring, or in a plain file (with its warning). */
export function headlessSecretStoreStatus(h: Readonly<Pick<HeadlessSecrets, 'keySource' | 'keyLocation' | 'warning'>>): SecretStoreStatus {
  if (h.keySource === 'keyring') {
    return { kind: 'os-keyring', message: `Secrets are encrypted in ${SECRETS_FILE}; the key is kept in ${h.keyLocation}.` };
  }
  return {
    kind: 'key-file',
    message: h.warning ?? `The key to ${SECRETS_FILE} is in ${h.keyLocation}: anyone who can read that file can read your secrets.`,
  };
}

/**
 * The status when the gateway was not told one: from the store's class where it says enough,
 * `unavailable` without a store (every secret reference then fails).
 */
export function defaultSecretStoreStatus(store: SecretStore | undefined, desktop: boolean): SecretStoreStatus {
  if (!store) return { kind: 'unavailable', message: 'no secret store' };
  if (store.unavailableReason !== undefined) return { kind: 'unavailable', message: store.unavailableReason };
  if (store instanceof SafeStorageSecretStore) return { kind: 'safe-storage' };
  if (store instanceof EncryptedFileSecretStore) {
    // Headless, where its key is decides the kind, and only the opener knows: say what is certain.
    return desktop ? { kind: 'encrypted-file' } : { kind: 'encrypted-file', message: `Secrets are encrypted in ${SECRETS_FILE}.` };
  }
  // Another store (in memory, in tests): nothing is known about how it protects values, and the message says so.
  return { kind: desktop ? 'safe-storage' : 'encrypted-file', message: 'The gateway was not told how its secret store protects secrets.' };
}
