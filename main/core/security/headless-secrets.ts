/**
 * Opens the headless secret store: the key from `keyring.ts`, the file from
 * `encrypted-file-store.ts`. Shared by `gatehouse serve` and `gatehouse secrets`.
 */
import { EncryptedFileSecretStore } from './encrypted-file-store.js';
import { obtainSecretsKey, type ObtainKeyOptions, type SecretsKey } from './keyring.js';

/** What {@link openHeadlessSecretStore} returns. */
export interface HeadlessSecrets {
  store: EncryptedFileSecretStore;
  keySource: SecretsKey['source'];
  keyLocation: string;
  /** Print this at every start when set (the key is in a plain file). */
  warning?: string;
}

/**
 * Finds or creates the key, then opens `secrets.enc`.
 *
 * @throws SecretsKeyUnavailableError or SecretStoreError, whose messages are meant for people.
 */
export async function openHeadlessSecretStore(opts: Readonly<ObtainKeyOptions & { now?: () => Date }>): Promise<HeadlessSecrets> {
  const found = await obtainSecretsKey(opts);
  const store = await EncryptedFileSecretStore.open({ dataDir: opts.dataDir, key: found.key, ...(opts.now ? { now: opts.now } : {}) });
  return {
    store,
    keySource: found.source,
    keyLocation: found.location,
    ...(found.warning !== undefined ? { warning: found.warning } : {}),
  };
}
