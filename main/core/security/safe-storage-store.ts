/**
 * The secret store of the Electron app, over `safeStorage` (Keychain on macOS, DPAPI on
 * Windows, libsecret/kwallet on Linux). Electron is not imported here: the shell passes its
 * `safeStorage` object in, so this logic is tested against a fake.
 *
 * Each value is encrypted on its own and kept base64 in `<dataDir>/secrets.safestorage.json`
 * (mode 0600, written atomically); the file holds names and times in clear.
 */
import path from 'node:path';
import { z } from 'zod';
import { backUpFile, readIfExists, writePrivateFile } from './private-file.js';
import { MapSecretStore, type SecretEntry } from './secret-store.js';

/** The subset of Electron's `safeStorage` used here. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only in Electron: `basic_text` means no keyring, i.e. a hard-coded key. */
  getSelectedStorageBackend?(): string;
}

/** The file name inside the data directory. */
export const SAFE_STORAGE_FILE = 'secrets.safestorage.json';

/** Options of {@link SafeStorageSecretStore.open}. */
export interface SafeStorageStoreOptions {
  dataDir: string;
  safeStorage: SafeStorageLike;
  now?: () => Date;
}

const fileSchema = z.object({
  version: z.literal(1),
  secrets: z.record(z.string(), z.object({ blob: z.base64(), updatedAt: z.string() })),
});

/** Thrown when `safeStorage` cannot protect secrets, or the file cannot be read. */
export class SafeStorageUnavailableError extends Error {
  override readonly name = 'SafeStorageUnavailableError';
}

/**
 * Secrets protected by `safeStorage`. Values are decrypted once, when the store opens, and kept
 * in memory for the gateway's lookups.
 */
export class SafeStorageSecretStore extends MapSecretStore {
  readonly file: string;
  readonly #safeStorage: SafeStorageLike;

  private constructor(file: string, safeStorage: SafeStorageLike, entries: Map<string, SecretEntry>, now: () => Date) {
    super(entries, now);
    this.file = file;
    this.#safeStorage = safeStorage;
  }

  /**
   * Opens the store.
   *
   * @throws SafeStorageUnavailableError when encryption is unavailable, or on Linux falls back to
   * `basic_text` (a key compiled into Chromium: no protection at all). The shell then uses the
   * encrypted-file store with its warning instead. Also when the file is damaged or a value
   * cannot be decrypted (another user's or machine's file); a copy is made first and the file is
   * left as it is.
   */
  static async open(opts: Readonly<SafeStorageStoreOptions>): Promise<SafeStorageSecretStore> {
    const { safeStorage } = opts;
    if (!safeStorage.isEncryptionAvailable()) throw new SafeStorageUnavailableError('safeStorage encryption is not available on this system');
    const backend = safeStorage.getSelectedStorageBackend?.();
    if (backend === 'basic_text') {
      throw new SafeStorageUnavailableError('safeStorage has no keyring on this system (backend basic_text), so it would not protect secrets');
    }
    const now = opts.now ?? (() => new Date());
    const file = path.join(opts.dataDir, SAFE_STORAGE_FILE);
    const text = await readIfExists(file);
    const entries = new Map<string, SecretEntry>();
    if (text !== undefined) {
      const fail = async (why: string): Promise<never> => {
        const backup = await backUpFile(file, now());
        throw new SafeStorageUnavailableError(`${SAFE_STORAGE_FILE} ${why}; it was left untouched and copied to ${path.basename(backup)}`);
      };
      let parsed: z.infer<typeof fileSchema> | undefined;
      try {
        const result = fileSchema.safeParse(JSON.parse(text));
        if (result.success) parsed = result.data;
      } catch {
        // Not JSON: handled below.
      }
      if (!parsed) return fail('is not a Gatehouse secrets file');
      for (const [name, { blob, updatedAt }] of Object.entries(parsed.secrets)) {
        let value: string;
        try {
          value = safeStorage.decryptString(Buffer.from(blob, 'base64'));
        } catch {
          return fail(`holds a value (${JSON.stringify(name)}) that safeStorage cannot decrypt (made by another user or machine?)`);
        }
        entries.set(name, { value, updatedAt });
      }
    }
    return new SafeStorageSecretStore(file, safeStorage, entries, now);
  }

  protected override async persist(entries: ReadonlyMap<string, SecretEntry>): Promise<void> {
    const secrets: Record<string, { blob: string; updatedAt: string }> = {};
    for (const [name, entry] of entries) {
      secrets[name] = { blob: this.#safeStorage.encryptString(entry.value).toString('base64'), updatedAt: entry.updatedAt };
    }
    await writePrivateFile(this.file, JSON.stringify({ version: 1, secrets }, null, 2) + '\n');
  }
}
