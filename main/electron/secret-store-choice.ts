/**
 * Which secret store the desktop app uses. `safeStorage` when it protects anything; on Linux
 * without a keyring (Electron's `basic_text` backend) it fails closed: no secret is stored
 * until the user explicitly chooses the headless encrypted-file store, and that choice is
 * remembered and shown in Settings. Never a silent fallback.
 *
 * No `electron` import: the shell passes its `safeStorage` in, tests pass a fake.
 */
import type { SecretStoreStatus } from '../../shared/control-api.js';
import { errorMessage } from '../core/base/logger.js';
import { openHeadlessSecretStore } from '../core/security/headless-secrets.js';
import type { ObtainKeyOptions } from '../core/security/keyring.js';
import { SafeStorageSecretStore, SafeStorageUnavailableError, type SafeStorageLike } from '../core/security/safe-storage-store.js';
import type { SecretStore } from '../core/security/secret-store.js';
import { UnavailableSecretStore } from '../core/security/unavailable-secret-store.js';

export interface DesktopSecrets {
  store: SecretStore & { dispose?(): void };
  status: SecretStoreStatus;
}

export interface SecretStoreChoiceOptions {
  dataDir: string;
  safeStorage: SafeStorageLike;
  /** The user chose the encrypted-file store in Settings (remembered in the prefs). */
  encryptedFileChosen: boolean;
  /** Passed to the headless store's key lookup (tests use `keyring: 'none'`). */
  keyring?: ObtainKeyOptions['keyring'];
}

/** Opens the store the rules above pick; never throws (a failure becomes an `unavailable` store that says why). */
export async function openDesktopSecrets(opts: Readonly<SecretStoreChoiceOptions>): Promise<DesktopSecrets> {
  const unprotected = whySafeStorageCannotProtect(opts.safeStorage);
  if (unprotected === undefined) {
    try {
      const store = await SafeStorageSecretStore.open({ dataDir: opts.dataDir, safeStorage: opts.safeStorage });
      return { store, status: { kind: 'safe-storage', message: 'Secrets are encrypted with the operating system’s credential store.' } };
    } catch (error) {
      // A damaged file or another machine's values: keep the file, store nothing, say why.
      const reason = error instanceof SafeStorageUnavailableError ? error.message : errorMessage(error);
      return unavailable(`The secret store cannot be opened: ${reason}.`, false);
    }
  }
  if (!opts.encryptedFileChosen) {
    return unavailable(`${unprotected} Gatehouse stores no secret until you choose the encrypted-file store in Settings.`, true);
  }
  try {
    const headless = await openHeadlessSecretStore({ dataDir: opts.dataDir, ...(opts.keyring ? { keyring: opts.keyring } : {}) });
    const where = headless.keySource === 'keyring' ? `its key is in ${headless.keyLocation}` : `its key is in the file ${headless.keyLocation}, readable by your user account`;
    return {
      store: headless.store,
      status: { kind: 'encrypted-file', message: `You chose the encrypted-file store because ${lowerFirst(unprotected)} Secrets are in secrets.enc; ${where}.` },
    };
  } catch (error) {
    return unavailable(`The encrypted-file store cannot be opened: ${errorMessage(error)}.`, false);
  }
}

/** Why `safeStorage` would not protect secrets here, or `undefined` when it would. */
export function whySafeStorageCannotProtect(safeStorage: SafeStorageLike): string | undefined {
  if (!safeStorage.isEncryptionAvailable()) return 'The operating system’s credential store is not available.';
  if (safeStorage.getSelectedStorageBackend?.() === 'basic_text') {
    return 'Electron found no keyring on this system (backend basic_text), so safeStorage would not protect secrets.';
  }
  return undefined;
}

function unavailable(reason: string, canChooseEncryptedFile: boolean): DesktopSecrets {
  return { store: new UnavailableSecretStore(reason), status: { kind: 'unavailable', message: reason, canChooseEncryptedFile } };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
