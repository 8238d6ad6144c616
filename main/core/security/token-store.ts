/**
 * Client and admin tokens, persisted as `<dataDir>/tokens.json` (mode 0600) with their SHA-256
 * hashes only: the secret is returned once by {@link TokenStore.create} and never again.
 *
 * Tokens from the environment (`GATEHOUSE_TOKEN`, `GATEHOUSE_ADMIN_TOKEN`) are ephemeral: held
 * in memory for this process, listed, never written.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Low, Memory } from 'lowdb';
import { z } from 'zod';
import type { CreatedToken, TokenInfo, TokenKind } from '../../../shared/control-api.js';
import { Emitter, type Event } from '../base/emitter.js';
import { errorMessage, nullLogger, type Logger } from '../base/logger.js';
import { hashToken } from './token-hash.js';
import { FULL_ACCESS, tokenAclSchema, type TokenAcl } from './acl.js';
import { backUpFile, PRIVATE_DIR_MODE, PrivateJsonFile } from './private-file.js';

/** The file name inside the data directory. */
export const TOKENS_FILE = 'tokens.json';
/** Every secret starts with this, so leaked tokens are recognizable (secret scanners, logs). */
export const TOKEN_PREFIX = 'gth_';
/** Random bytes per token secret (256 bits). */
export const TOKEN_BYTES = 32;
/** Environment variables read by {@link TokenStore.open}. */
export const ENV_CLIENT_TOKEN = 'GATEHOUSE_TOKEN';
export const ENV_ADMIN_TOKEN = 'GATEHOUSE_ADMIN_TOKEN';
/** Longest gap between a token's use and `lastUsedAt` reaching the disk. */
export const DEFAULT_LAST_USED_FLUSH_MS = 60_000;

/** Tokens as the admin API lists them (never the secret, never the hash): one definition. */
export type { CreatedToken, TokenInfo, TokenKind };

/** Fired after a mutation has been written. */
export interface TokenChangeEvent {
  type: 'created' | 'revoked';
  token: TokenInfo;
}

/** Outcome of {@link TokenStore.revoke}. */
export type RevokeResult = 'revoked' | 'unknown' | 'ephemeral';

/** Options of {@link TokenStore.open}. */
export interface TokenStoreOptions {
  /** Where `GATEHOUSE_TOKEN` / `GATEHOUSE_ADMIN_TOKEN` are read; default `process.env`. Pass `{}` for none. */
  env?: Readonly<Record<string, string | undefined>>;
  now?: () => Date;
  /** Default {@link DEFAULT_LAST_USED_FLUSH_MS}. */
  lastUsedFlushMs?: number;
  logger?: Logger;
  /**
   * An admin token held in memory for this run only, like the environment's: the desktop app
   * calls its own gateway's /admin with it, and nothing of it reaches the disk.
   */
  sessionAdminToken?: { name: string; secret: string };
}

interface StoredToken {
  id: string;
  name: string;
  kind: TokenKind;
  /** Hex SHA-256 of the secret. */
  hash: string;
  createdAt: string;
  lastUsedAt?: string;
  acl: TokenAcl;
}

interface TokenFile {
  version: 1;
  tokens: StoredToken[];
}

interface Entry {
  record: StoredToken;
  hash: Buffer;
  ephemeral: boolean;
}

const storedTokenSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  kind: z.enum(['client', 'admin']),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
  lastUsedAt: z.string().optional(),
  acl: tokenAclSchema,
});

const fileSchema = z.object({ version: z.literal(1), tokens: z.array(z.unknown()) });

/** Returns a reason when `name` cannot name a token, `undefined` when it can. */
export function checkTokenName(name: string): string | undefined {
  if (name.trim().length === 0) return 'token name is empty';
  if (name.length > 64) return 'token name is longer than 64 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'token name may not contain control characters';
  if (name.startsWith('env:')) return 'token names starting with "env:" are reserved for tokens from the environment';
  return undefined;
}

/**
 * The token registry. Open it with {@link TokenStore.open}; {@link authenticate} is synchronous
 * and cheap (one hash, one comparison per token), mutations resolve once the file is written.
 * Call {@link close} on shutdown so the last `lastUsedAt` values are written.
 */
export class TokenStore {
  readonly #db: Low<TokenFile>;
  readonly #entries: Entry[];
  readonly #now: () => Date;
  readonly #flushMs: number;
  readonly #logger: Logger;
  readonly #onDidChange: Emitter<TokenChangeEvent>;
  readonly #onDidRevoke: Emitter<TokenInfo>;
  #dirty = false;
  /** The flush under way, if any. */
  #flushing: Promise<void> | undefined;
  #flushTimer: NodeJS.Timeout | undefined;
  /** Bumped by every local mutation, so a {@link reload} that raced one is dropped. */
  #mutations = 0;
  #writesInFlight = 0;
  /** Writes started so far: a reload whose read overlapped one drops what it read. */
  #writesStarted = 0;
  readonly #inMemory: boolean;

  /** The path of `tokens.json`. */
  readonly file: string;
  /** Problems found while loading (a corrupt file and where it was copied, dropped records). */
  readonly warnings: readonly string[];
  /** Fired after a token was created or revoked (and written). */
  readonly onDidChange: Event<TokenChangeEvent>;
  /**
   * Fired after a token was revoked: the gateway closes that token's open sessions. New
   * requests with it already fail by then.
   */
  readonly onDidRevoke: Event<TokenInfo>;

  private constructor(db: Low<TokenFile>, file: string, entries: Entry[], warnings: string[], opts: Readonly<TokenStoreOptions>) {
    this.#db = db;
    this.file = file;
    this.#inMemory = db.adapter instanceof Memory;
    this.#entries = entries;
    this.warnings = Object.freeze(warnings);
    this.#now = opts.now ?? (() => new Date());
    this.#flushMs = opts.lastUsedFlushMs ?? DEFAULT_LAST_USED_FLUSH_MS;
    this.#logger = opts.logger ?? nullLogger;
    const onError = (error: unknown): void => this.#logger.error('token listener failed', { error: errorMessage(error) });
    this.#onDidChange = new Emitter(onError);
    this.#onDidRevoke = new Emitter(onError);
    this.onDidChange = this.#onDidChange.event;
    this.onDidRevoke = this.#onDidRevoke.event;
  }

  /**
   * Opens (or creates) `tokens.json` in `dataDir` and adds the environment's tokens. A file that
   * is not valid JSON or not a token file is copied to `tokens.json.backup-<time>` and replaced by
   * an empty one: every stored token stops working, which fails closed.
   */
  static async open(dataDir: string, opts: Readonly<TokenStoreOptions> = {}): Promise<TokenStore> {
    const now = opts.now ?? (() => new Date());
    await mkdir(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const file = path.join(dataDir, TOKENS_FILE);
    const adapter = new PrivateJsonFile<TokenFile>(file);
    const warnings: string[] = [];
    let needsWrite = false;
    let raw: unknown = null;
    try {
      raw = await adapter.read();
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      warnings.push(`${TOKENS_FILE} is not valid JSON; copied it to ${path.basename(await backUpFile(file, now()))}, all stored tokens are revoked`);
      needsWrite = true;
    }
    const stored: StoredToken[] = [];
    if (raw !== null) {
      const parsed = fileSchema.safeParse(raw);
      if (!parsed.success) {
        warnings.push(`${TOKENS_FILE} is not a Gatehouse token file; copied it to ${path.basename(await backUpFile(file, now()))}, all stored tokens are revoked`);
        needsWrite = true;
      } else {
        for (const [index, item] of parsed.data.tokens.entries()) {
          const record = storedTokenSchema.safeParse(item);
          if (record.success) stored.push({ ...record.data, acl: freezeAcl(record.data.acl) });
          else {
            warnings.push(`${TOKENS_FILE}: dropped token #${index + 1}: ${z.prettifyError(record.error)}`);
            needsWrite = true;
          }
        }
      }
    }
    const db = new Low<TokenFile>(adapter, { version: 1, tokens: stored });
    if (needsWrite) await db.write();

    const entries: Entry[] = stored.map((record) => ({ record, hash: Buffer.from(record.hash, 'hex'), ephemeral: false }));
    entries.push(...envEntries(opts.env ?? process.env, now().toISOString(), opts.sessionAdminToken));

    const store = new TokenStore(db, file, entries, warnings, opts);
    for (const warning of warnings) store.#logger.warn(warning);
    return store;
  }

  /**
   * A store that writes nothing: only the given environment tokens, plus whatever is created
   * while it lives (tests, and a gateway built without a data directory). No I/O.
   */
  static inMemory(opts: Readonly<TokenStoreOptions> = {}): TokenStore {
    const now = opts.now ?? (() => new Date());
    const db = new Low<TokenFile>(new Memory<TokenFile>(), { version: 1, tokens: [] });
    const entries = envEntries(opts.env ?? process.env, now().toISOString(), opts.sessionAdminToken);
    return new TokenStore(db, '(memory)', entries, [], opts);
  }

  /** Every token (stored and from the environment), oldest first. */
  list(): TokenInfo[] {
    return this.#entries.map(toInfo);
  }

  /** One token by id. */
  get(id: string): TokenInfo | undefined {
    const entry = this.#entries.find((e) => e.record.id === id);
    return entry ? toInfo(entry) : undefined;
  }

  /** Whether at least one token of `kind` exists (stored or from the environment). */
  hasToken(kind: TokenKind): boolean {
    return this.#entries.some((e) => e.record.kind === kind);
  }

  /**
   * Creates a token and returns its secret, the only time it is available: `gth_` followed by
   * {@link TOKEN_BYTES} random bytes in base64url. Only the hash is written.
   *
   * @throws Error when the name is invalid or taken, or the ACL is invalid.
   */
  async create(name: string, kind: TokenKind = 'client', acl: Readonly<TokenAcl> = FULL_ACCESS): Promise<CreatedToken> {
    const problem = checkTokenName(name);
    if (problem !== undefined) throw new Error(problem);
    if (this.#entries.some((e) => e.record.name === name)) throw new Error(`a token named ${JSON.stringify(name)} already exists`);
    const checked = tokenAclSchema.safeParse(acl);
    if (!checked.success) throw new Error(`invalid token ACL: ${z.prettifyError(checked.error)}`);
    // Admin tokens reach the admin API only: an ACL on them would mean nothing.
    const effectiveAcl = freezeAcl(kind === 'admin' ? { servers: '*' } : checked.data);

    const secret = TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
    const hash = hashToken(secret);
    const record: StoredToken = {
      id: randomBytes(8).toString('hex'),
      name,
      kind,
      hash: hash.toString('hex'),
      createdAt: this.#now().toISOString(),
      acl: effectiveAcl,
    };
    const entry: Entry = { record, hash, ephemeral: false };
    this.#mutations++;
    this.#entries.push(entry);
    this.#db.data.tokens.push(record);
    try {
      await this.#write();
    } catch (error) {
      this.#remove(record.id);
      throw error;
    }
    const token = toInfo(entry);
    this.#onDidChange.fire({ type: 'created', token });
    return { token, secret };
  }

  /**
   * Revokes a stored token: it stops working for new requests as soon as this is called (before
   * the write), and {@link onDidRevoke} fires once the file is written. Tokens from the
   * environment cannot be revoked (`'ephemeral'`): unset the variable and restart.
   */
  async revoke(id: string): Promise<RevokeResult> {
    const entry = this.#entries.find((e) => e.record.id === id);
    if (!entry) return 'unknown';
    if (entry.ephemeral) return 'ephemeral';
    this.#mutations++;
    this.#remove(id);
    await this.#write();
    const token = toInfo(entry);
    this.#onDidChange.fire({ type: 'revoked', token });
    this.#onDidRevoke.fire(token);
    return 'revoked';
  }

  /**
   * The token whose secret is `presented`, or `undefined`. The presented value is hashed and
   * compared with every token's hash using `crypto.timingSafeEqual`, without stopping at the
   * first match, so the time taken says nothing about which token (or which bytes) matched.
   * Records the use in `lastUsedAt`.
   */
  authenticate(presented: string | undefined): TokenInfo | undefined {
    if (presented === undefined || presented.length === 0) return undefined;
    const candidate = hashToken(presented);
    let match: Entry | undefined;
    for (const entry of this.#entries) {
      // Both sides are 32-byte digests, so timingSafeEqual never throws on length.
      const equal = timingSafeEqual(candidate, entry.hash);
      if (equal && match === undefined) match = entry;
    }
    if (!match) return undefined;
    this.#touch(match);
    return toInfo(match);
  }

  /**
   * Makes sure an admin token exists. When none is stored and none comes from the environment,
   * creates one named `admin` and returns its secret (for `serve` to print once); otherwise
   * returns `undefined`.
   */
  async ensureAdminToken(): Promise<string | undefined> {
    if (this.hasToken('admin')) return undefined;
    let name = 'admin';
    for (let n = 2; this.#entries.some((e) => e.record.name === name); n++) name = `admin-${n}`;
    return (await this.create(name, 'admin')).secret;
  }

  /**
   * Catches up with `tokens.json` as another process (`gatehouse tokens`) wrote it: tokens
   * created there start working here, and tokens gone from it are revoked here
   * ({@link onDidRevoke} fires, so the gateway closes their sessions). A file that cannot be
   * read or parsed is ignored (the next reload tries again). `lastUsedAt` known here is kept.
   */
  async reload(): Promise<void> {
    if (this.#inMemory) return;
    // A local write in flight may land before or after the read: what is read cannot be trusted
    // (a revoked token would come back, a new one would look revoked elsewhere).
    if (this.#writesInFlight > 0) return;
    const before = this.#mutations;
    const writes = this.#writesStarted;
    let raw: unknown;
    try {
      raw = await this.#db.adapter.read();
    } catch {
      return;
    }
    // A local create or revoke happened meanwhile, or a write started during the read: same reason.
    if (before !== this.#mutations || this.#writesInFlight > 0 || writes !== this.#writesStarted) return;
    const parsed = fileSchema.safeParse(raw ?? { version: 1, tokens: [] });
    if (!parsed.success) return;
    const records = parsed.data.tokens.flatMap((item) => {
      const record = storedTokenSchema.safeParse(item);
      return record.success ? [{ ...record.data, acl: freezeAcl(record.data.acl) }] : [];
    });
    const ids = new Set(records.map((r) => r.id));
    const gone = this.#entries.filter((e) => !e.ephemeral && !ids.has(e.record.id));
    for (const entry of gone) this.#remove(entry.record.id);
    for (const record of records) {
      if (this.#entries.some((e) => e.record.id === record.id)) continue;
      const entry: Entry = { record, hash: Buffer.from(record.hash, 'hex'), ephemeral: false };
      this.#entries.push(entry);
      this.#db.data.tokens.push(record);
      this.#onDidChange.fire({ type: 'created', token: toInfo(entry) });
    }
    for (const entry of gone) {
      const token = toInfo(entry);
      this.#onDidChange.fire({ type: 'revoked', token });
      this.#onDidRevoke.fire(token);
    }
  }

  /** Writes pending `lastUsedAt` values now (after catching up with the file, so nothing written elsewhere is undone). */
  async flush(): Promise<void> {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    // A flush the timer started may still be writing: whoever flushes next (close) waits for it,
    // and for the one another waiter starts when it ends (else close returns mid-write).
    while (this.#flushing) await this.#flushing;
    if (!this.#dirty) return;
    this.#dirty = false;
    this.#flushing = this.reload().then(() => this.#write());
    try {
      await this.#flushing;
    } finally {
      this.#flushing = undefined;
    }
  }

  /** Flushes `lastUsedAt` and drops the listeners. */
  async close(): Promise<void> {
    await this.flush();
    this.#onDidChange.dispose();
    this.#onDidRevoke.dispose();
  }

  /** Writes the file; {@link reload} holds off while a local change is being written. */
  async #write(): Promise<void> {
    this.#writesStarted++;
    this.#writesInFlight++;
    try {
      await this.#db.write();
    } finally {
      this.#writesInFlight--;
    }
  }

  #touch(entry: Entry): void {
    entry.record.lastUsedAt = this.#now().toISOString();
    if (entry.ephemeral) return;
    this.#dirty = true;
    // One write per interval at most, however many requests arrive: no write storms.
    if (this.#flushTimer) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      this.flush().catch((error: unknown) => this.#logger.warn('could not record token use', { error: errorMessage(error) }));
    }, this.#flushMs);
    this.#flushTimer.unref();
  }

  #remove(id: string): void {
    const index = this.#entries.findIndex((e) => e.record.id === id);
    if (index !== -1) this.#entries.splice(index, 1);
    this.#db.data.tokens = this.#db.data.tokens.filter((t) => t.id !== id);
  }
}

/** The tokens of `GATEHOUSE_TOKEN` and `GATEHOUSE_ADMIN_TOKEN`, held in memory only. */
function envEntries(env: Readonly<Record<string, string | undefined>>, createdAt: string, session?: TokenStoreOptions['sessionAdminToken']): Entry[] {
  const entries: Entry[] = [];
  const add = (secret: string | undefined, kind: TokenKind, id: string, name: string): void => {
    if (!secret) return;
    const hash = hashToken(secret);
    entries.push({ record: { id, name, kind, hash: hash.toString('hex'), createdAt, acl: freezeAcl({ servers: '*' }) }, hash, ephemeral: true });
  };
  add(env[ENV_CLIENT_TOKEN], 'client', 'env-client', `env:${ENV_CLIENT_TOKEN}`);
  add(env[ENV_ADMIN_TOKEN], 'admin', 'env-admin', `env:${ENV_ADMIN_TOKEN}`);
  if (session) add(session.secret, 'admin', 'session-admin', session.name);
  return entries;
}

function toInfo(entry: Entry): TokenInfo {
  const { id, name, kind, createdAt, lastUsedAt, acl } = entry.record;
  // The ACL is frozen and shared, so tokenToolPredicate() can cache its compiled filter by identity.
  return { id, name, kind, createdAt, ...(lastUsedAt ? { lastUsedAt } : {}), acl, ephemeral: entry.ephemeral };
}

function freezeAcl(acl: TokenAcl): TokenAcl {
  const copy: TokenAcl = structuredClone(acl);
  if (Array.isArray(copy.servers)) Object.freeze(copy.servers);
  if (copy.toolFilter) {
    if (copy.toolFilter.allow) Object.freeze(copy.toolFilter.allow);
    if (copy.toolFilter.block) Object.freeze(copy.toolFilter.block);
    Object.freeze(copy.toolFilter);
  }
  return Object.freeze(copy);
}
