/**
 * The headless secret store: one AES-256-GCM encrypted file, `<dataDir>/secrets.enc` (mode 0600),
 * rewritten atomically with a fresh random IV on every change. The key comes from
 * `keyring.ts` (the OS keyring, or a key file beside the store).
 *
 * The file is a small JSON envelope, so its format can be recognized and versioned:
 * `{ format, version, cipher, keyCheck, iv, tag, data }`. `keyCheck` (an HMAC of a fixed string
 * under the key) tells a wrong key apart from a damaged file; the GCM tag authenticates the
 * data and the envelope's version (as additional data).
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { backUpFile, readIfExists, writePrivateFile } from './private-file.js';
import { MapSecretStore, type SecretEntry } from './secret-store.js';

/** The file name inside the data directory. */
export const SECRETS_FILE = 'secrets.enc';
/** Key length of AES-256. */
export const SECRETS_KEY_BYTES = 32;

const FORMAT = 'gatehouse-secrets';
const VERSION = 1;
const AAD = Buffer.from(`${FORMAT}:v${VERSION}`);
const IV_BYTES = 12;

/** Why a secrets file could not be opened. */
export type SecretStoreErrorCode = 'wrong-key' | 'corrupt';

/** Thrown when `secrets.enc` cannot be read; the file is left as it is. */
export class SecretStoreError extends Error {
  override readonly name = 'SecretStoreError';

  constructor(
    readonly code: SecretStoreErrorCode,
    message: string,
    /** Where a copy of the damaged file was put, if one was made. */
    readonly backup?: string,
  ) {
    super(message);
  }
}

/** Options of {@link EncryptedFileSecretStore.open}. */
export interface EncryptedFileStoreOptions {
  /** The data directory; the file is `<dataDir>/secrets.enc`. */
  dataDir: string;
  /** 32 bytes. */
  key: Buffer;
  now?: () => Date;
}

const envelopeSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  cipher: z.literal('aes-256-gcm'),
  keyCheck: z.base64(),
  iv: z.base64(),
  tag: z.base64(),
  data: z.base64(),
});

const contentSchema = z.object({
  secrets: z.record(z.string(), z.object({ value: z.string(), updatedAt: z.string() })),
});

/**
 * Secrets in an AES-256-GCM encrypted file.
 *
 * Another process (the `gatehouse secrets` CLI next to a running `serve`) may change the file:
 * reads and writes first re-read it when its size, time or inode changed, so the last writer
 * never drops the other's change.
 */
export class EncryptedFileSecretStore extends MapSecretStore {
  readonly file: string;
  readonly #key: Buffer;
  readonly #now: () => Date;
  #seen: string | undefined;

  private constructor(file: string, key: Buffer, entries: Map<string, SecretEntry>, seen: string | undefined, now: () => Date) {
    super(entries, now);
    this.file = file;
    this.#key = key;
    this.#now = now;
    this.#seen = seen;
  }

  /**
   * Opens `secrets.enc` (an absent file is an empty store; nothing is written until a change).
   *
   * @throws SecretStoreError `wrong-key` when the key does not fit the file, `corrupt` when the
   * file is damaged or was altered (a copy is made first, see `backup`). The file itself is
   * never modified or replaced by a failed open.
   */
  static async open(opts: Readonly<EncryptedFileStoreOptions>): Promise<EncryptedFileSecretStore> {
    if (opts.key.length !== SECRETS_KEY_BYTES) throw new Error(`the secrets key must be ${SECRETS_KEY_BYTES} bytes`);
    const now = opts.now ?? (() => new Date());
    const file = path.join(opts.dataDir, SECRETS_FILE);
    const loaded = await load(file, opts.key, now);
    return new EncryptedFileSecretStore(file, opts.key, loaded.entries, loaded.seen, now);
  }

  /** Re-reads the file if another process changed it since this store last read or wrote it. */
  override async refresh(): Promise<void> {
    const current = await fingerprint(this.file);
    if (current === this.#seen) return;
    const loaded = await load(this.file, this.#key, this.#now);
    this.entries = loaded.entries;
    this.#seen = loaded.seen;
  }

  protected override async persist(entries: ReadonlyMap<string, SecretEntry>): Promise<void> {
    const plaintext = Buffer.from(JSON.stringify({ secrets: Object.fromEntries(entries) }), 'utf8');
    // A fresh IV for every write: GCM's security is lost if an IV is ever reused with a key.
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(AAD);
    const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    plaintext.fill(0);
    const envelope = {
      format: FORMAT,
      version: VERSION,
      cipher: 'aes-256-gcm',
      keyCheck: keyCheck(this.#key).toString('base64'),
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
    await writePrivateFile(this.file, JSON.stringify(envelope) + '\n');
    this.#seen = await fingerprint(this.file);
  }
}

function keyCheck(key: Buffer): Buffer {
  return createHmac('sha256', key).update('gatehouse secrets key check v1').digest().subarray(0, 16);
}

/** Identity of the file's current version: changes on every rename-replace. */
async function fingerprint(file: string): Promise<string | undefined> {
  try {
    const s = await stat(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function load(file: string, key: Buffer, now: () => Date): Promise<{ entries: Map<string, SecretEntry>; seen: string | undefined }> {
  const seen = await fingerprint(file);
  const text = await readIfExists(file);
  if (text === undefined) return { entries: new Map(), seen: undefined };
  const name = path.basename(file);
  const corrupt = async (why: string): Promise<never> => {
    const backup = await backUpFile(file, now());
    throw new SecretStoreError(
      'corrupt',
      `${name} ${why}; it was left untouched and copied to ${path.basename(backup)}. Restore it from a backup, or move it away to start with no secrets`,
      backup,
    );
  };

  let envelope: z.infer<typeof envelopeSchema>;
  try {
    const parsed = envelopeSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return await corrupt('is not a Gatehouse secrets file');
    envelope = parsed.data;
  } catch (error) {
    if (error instanceof SecretStoreError) throw error;
    return await corrupt('is not a Gatehouse secrets file (not JSON)');
  }

  const expected = keyCheck(key);
  const presented = Buffer.from(envelope.keyCheck, 'base64');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    throw new SecretStoreError(
      'wrong-key',
      `${name} was encrypted with a different key than the one found (keyring entry or key file); the file was left untouched`,
    );
  }

  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'));
    decipher.setAAD(AAD);
    decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
    plaintext = Buffer.concat([decipher.update(Buffer.from(envelope.data, 'base64')), decipher.final()]);
  } catch {
    return corrupt('failed its integrity check (damaged or altered)');
  }
  try {
    const content = contentSchema.safeParse(JSON.parse(plaintext.toString('utf8')));
    if (!content.success) return await corrupt('decrypted, but its content is not a secrets list');
    return { entries: new Map(Object.entries(content.data.secrets)), seen };
  } catch (error) {
    if (error instanceof SecretStoreError) throw error;
    return await corrupt('decrypted, but its content is not JSON');
  } finally {
    plaintext.fill(0);
  }
}
