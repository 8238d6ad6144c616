/**
 * The server registry: every configured backend plus gateway settings, persisted with lowdb as
 * `<dataDir>/registry.json`.
 *
 * lowdb rewrites the whole file on each change (atomically, through steno): right for a small
 * config file, wrong for logs. All mutations go through this class, which validates before it
 * writes and fires {@link Registry.onDidChange} after the write has landed.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { z } from 'zod';
import { serverConfigSchema } from '../../../shared/stored-config-schema.js';
import { checkServerName } from '../../../shared/server-config.js';
import type { ServerConfig } from '../../../shared/server-config.js';
import { Emitter } from '../base/emitter.js';
import type { Event } from '../base/emitter.js';
import { errorMessage, nullLogger } from '../base/logger.js';
import type { Logger } from '../base/logger.js';
import { definedOnly, limitsOverrideSchema, type LimitsOverride } from '../security/limits.js';
import { PrivateJsonFile } from '../security/private-file.js';

/** The file name inside the data directory. */
export const REGISTRY_FILE = 'registry.json';

/** Gateway-wide settings stored with the servers. */
export interface RegistrySettings {
  /** Longest namespaced tool name handed to clients (`mcp__<entry>__` + this must fit in 64). */
  toolNameMaxLength: number;
  /**
   * The limits the user set (in Settings or the file); the others keep their defaults, and
   * `serve` flags win over these (`main/core/security/limits.ts`).
   */
  limits: LimitsOverride;
}

/** `registry.json` as stored on disk. */
export interface RegistryData {
  version: 1;
  servers: Record<string, ServerConfig>;
  settings: RegistrySettings;
}

/** One registry entry. */
export interface RegistryEntry {
  name: string;
  config: ServerConfig;
}

/** What changed in one mutation. Fired once per mutation, after the file was written. */
export interface RegistryChangeEvent {
  added: string[];
  updated: string[];
  removed: string[];
  settingsChanged: boolean;
}

/** Options of {@link Registry.open}. */
export interface RegistryOptions {
  /** Receives the load warnings (also kept in {@link Registry.warnings}) and listener errors. */
  logger?: Logger;
  /** Clock for backup file names. */
  now?: () => Date;
}

/** Default settings; `toolNameMaxLength` 47 leaves room for Claude Code's `mcp__<entry>__` prefix; no limit set. */
export const DEFAULT_SETTINGS: Readonly<RegistrySettings> = Object.freeze({ toolNameMaxLength: 47, limits: Object.freeze({}) });

const CURRENT_VERSION = 1;

const settingsSchema = z.object({
  // The bounds NameTable accepts: below 16 names become unreadable, above 64 clients reject them.
  toolNameMaxLength: z.int().min(16).max(64),
  limits: limitsOverrideSchema,
});

const fileSchema = z.object({
  version: z.number(),
  servers: z.record(z.string(), z.unknown()).optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
});

/**
 * The server registry. Open it with {@link Registry.open}; reads are synchronous from memory,
 * mutations are asynchronous and resolve once the file is written.
 *
 * Entries keep insertion order, with JavaScript's object-key caveat: names that look like array
 * indices (`"1"`, `"42"`) sort first, on disk as in memory.
 *
 * Mutations are not serialized against each other beyond lowdb's own write queue: each applies
 * to memory synchronously and then writes the whole state, so the last write always holds every
 * mutation that preceded it.
 */
export class Registry {
  readonly #db: Low<RegistryData>;
  readonly #logger: Logger;
  readonly #onDidChange: Emitter<RegistryChangeEvent>;

  /** Problems found while loading: dropped entries, a corrupt file and where it was copied. */
  readonly warnings: readonly string[];

  /** The path of `registry.json`. */
  readonly file: string;

  /** Fired after each successful mutation. */
  readonly onDidChange: Event<RegistryChangeEvent>;

  private constructor(db: Low<RegistryData>, file: string, warnings: string[], logger: Logger) {
    this.#db = db;
    this.file = file;
    this.warnings = Object.freeze([...warnings]);
    this.#logger = logger;
    this.#onDidChange = new Emitter<RegistryChangeEvent>((error) => {
      this.#logger.error('registry change listener failed', { error: errorMessage(error) });
    });
    this.onDidChange = this.#onDidChange.event;
  }

  /**
   * Opens (or creates) the registry in `dataDir`, creating the directory with mode 0700.
   *
   * A file that is not valid JSON, or not a registry, is copied to
   * `registry.json.backup-<timestamp>` and replaced by an empty registry. Entries that fail
   * validation are dropped, after the same backup. Both cases are reported in
   * {@link Registry.warnings} rather than thrown, so the gateway still starts. I/O errors other
   * than a missing file (permissions, a directory in the way) are thrown.
   */
  static async open(dataDir: string, options: Readonly<RegistryOptions> = {}): Promise<Registry> {
    const logger = options.logger ?? nullLogger;
    const now = options.now ?? (() => new Date());
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const file = path.join(dataDir, REGISTRY_FILE);
    // 0600 like every other file of the data dir (lowdb's JSONFile would leave it 0644).
    const adapter = new PrivateJsonFile<RegistryData>(file);
    const warnings: string[] = [];
    // After a recovery the cleaned state is written at once, so that the next start does not
    // find (and back up) the same problem again.
    let needsWrite = false;

    const backUp = async (): Promise<string> => {
      const target = `${file}.backup-${now().toISOString().replace(/[:.]/g, '-')}`;
      await copyFile(file, target);
      return path.basename(target);
    };

    let raw: unknown = null;
    try {
      raw = await adapter.read();
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      warnings.push(`${REGISTRY_FILE} is not valid JSON (${error.message}); copied it to ${await backUp()} and started with an empty registry`);
      needsWrite = true;
    }

    let data = defaultData();
    if (raw !== null) {
      const loaded = loadData(raw);
      if (loaded.fatal !== undefined) {
        warnings.push(`${REGISTRY_FILE} ${loaded.fatal}; copied it to ${await backUp()} and started with an empty registry`);
        needsWrite = true;
      } else {
        data = loaded.data;
        if (loaded.problems.length > 0) {
          const target = await backUp();
          warnings.push(...loaded.problems.map((problem) => `${REGISTRY_FILE}: ${problem}`));
          warnings.push(`the original ${REGISTRY_FILE} was copied to ${target}`);
          needsWrite = true;
        }
      }
    }

    const db = new Low<RegistryData>(adapter, data);
    if (needsWrite) await db.write();
    for (const warning of warnings) logger.warn(warning);
    return new Registry(db, file, warnings, logger);
  }

  /** Every entry, in insertion order. The configs are copies. */
  list(): RegistryEntry[] {
    return Object.entries(this.#db.data.servers).map(([name, config]) => ({ name, config: structuredClone(config) }));
  }

  /** The config of `name` (a copy), or `undefined`. */
  get(name: string): ServerConfig | undefined {
    const servers = this.#db.data.servers;
    return Object.hasOwn(servers, name) ? structuredClone(servers[name]) : undefined;
  }

  /** Whether `name` is registered. */
  has(name: string): boolean {
    return Object.hasOwn(this.#db.data.servers, name);
  }

  /**
   * Adds or replaces `name`. An existing entry keeps its position. Resolves to what happened.
   *
   * @throws Error when the name or the config is invalid; nothing is written then.
   */
  async put(name: string, config: ServerConfig): Promise<'added' | 'updated'> {
    const valid = validateEntry(name, config);
    const existed = this.has(name);
    this.#db.data.servers[name] = valid;
    await this.#db.write();
    this.#fire({ added: existed ? [] : [name], updated: existed ? [name] : [] });
    return existed ? 'updated' : 'added';
  }

  /** Removes `name`; `false` when it was not registered (nothing is written or fired then). */
  async remove(name: string): Promise<boolean> {
    if (!this.has(name)) return false;
    delete this.#db.data.servers[name];
    await this.#db.write();
    this.#fire({ removed: [name] });
    return true;
  }

  /**
   * Merges `servers` into the registry: the imported entries win for the names they name, all
   * other entries stay untouched. One write, one change event.
   *
   * @throws Error when any name or config is invalid; nothing is imported then.
   */
  async importServers(servers: Readonly<Record<string, ServerConfig>>): Promise<{ added: string[]; updated: string[] }> {
    const validated = Object.entries(servers).map(([name, config]) => [name, validateEntry(name, config)] as const);
    const added: string[] = [];
    const updated: string[] = [];
    for (const [name, config] of validated) {
      (this.has(name) ? updated : added).push(name);
      this.#db.data.servers[name] = config;
    }
    if (validated.length > 0) {
      await this.#db.write();
      this.#fire({ added, updated });
    }
    return { added, updated };
  }

  /** The current settings (a copy). */
  settings(): RegistrySettings {
    const settings = this.#db.data.settings;
    return { ...settings, limits: { ...settings.limits } };
  }

  /**
   * Changes some settings. `limits` in `patch` replaces the stored limits as a whole (leave a
   * limit out to keep its default).
   *
   * @throws Error when the resulting settings are invalid; nothing is written then.
   */
  async updateSettings(patch: Readonly<Partial<RegistrySettings>>): Promise<RegistrySettings> {
    const result = settingsSchema.safeParse({ ...this.#db.data.settings, ...patch });
    if (!result.success) throw new Error(`invalid settings: ${z.prettifyError(result.error)}`);
    this.#db.data.settings = { ...result.data, limits: definedOnly(result.data.limits) };
    await this.#db.write();
    this.#fire({ settingsChanged: true });
    return this.settings();
  }

  /** Drops every change listener. The registry stays usable. */
  dispose(): void {
    this.#onDidChange.dispose();
  }

  #fire(change: Partial<RegistryChangeEvent>): void {
    this.#onDidChange.fire({ added: [], updated: [], removed: [], settingsChanged: false, ...change });
  }
}

function defaultData(): RegistryData {
  return { version: CURRENT_VERSION, servers: {}, settings: { ...DEFAULT_SETTINGS, limits: {} } };
}

/** Name and normalized-shape check for a mutation; returns a clean copy. */
function validateEntry(name: string, config: ServerConfig): ServerConfig {
  const nameProblem = checkServerName(name);
  if (nameProblem !== undefined) throw new Error(`server ${JSON.stringify(name)}: ${nameProblem}`);
  const result = serverConfigSchema.safeParse(config);
  if (!result.success) throw new Error(`server ${JSON.stringify(name)}: invalid config: ${summarizeIssues(result.error)}`);
  return result.data;
}

type LoadResult =
  | { fatal: string; data?: undefined; problems?: undefined }
  | { fatal?: undefined; data: RegistryData; problems: string[] };

/** Validates a parsed `registry.json`, keeping whatever is valid. */
function loadData(raw: unknown): LoadResult {
  const file = fileSchema.safeParse(raw);
  if (!file.success) return { fatal: 'is not a Gatehouse registry' };
  if (file.data.version !== CURRENT_VERSION) {
    return { fatal: `has format version ${file.data.version}, which this version of Gatehouse cannot read (it reads ${CURRENT_VERSION})` };
  }

  const problems: string[] = [];
  const servers: Array<[string, ServerConfig]> = [];
  for (const [name, config] of Object.entries(file.data.servers ?? {})) {
    const nameProblem = checkServerName(name);
    if (nameProblem !== undefined) {
      problems.push(`dropped server ${JSON.stringify(name)}: ${nameProblem}`);
      continue;
    }
    const result = serverConfigSchema.safeParse(config);
    if (!result.success) {
      problems.push(`dropped server ${JSON.stringify(name)}: ${summarizeIssues(result.error)}`);
      continue;
    }
    servers.push([name, result.data]);
  }

  const settings: RegistrySettings = { ...DEFAULT_SETTINGS, limits: {} };
  const rawSettings = file.data.settings ?? {};
  const maxLength = settingsSchema.shape.toolNameMaxLength.safeParse(rawSettings['toolNameMaxLength']);
  if (maxLength.success) settings.toolNameMaxLength = maxLength.data;
  else if (rawSettings['toolNameMaxLength'] !== undefined) {
    problems.push(`invalid settings.toolNameMaxLength; using ${DEFAULT_SETTINGS.toolNameMaxLength}`);
  }
  settings.limits = loadLimits(rawSettings['limits'], problems);

  return { data: { version: CURRENT_VERSION, servers: Object.fromEntries(servers), settings }, problems };
}

/** The stored limits that are valid; each invalid or unknown one is dropped with a problem (its default applies). */
function loadLimits(raw: unknown, problems: string[]): LimitsOverride {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push('invalid settings.limits (not an object); using the default limits');
    return {};
  }
  const shape: Record<string, z.ZodType> = limitsOverrideSchema.shape;
  const limits: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const schema = Object.hasOwn(shape, key) ? shape[key] : undefined;
    const parsed = schema?.safeParse(value);
    if (parsed?.success) limits[key] = parsed.data;
    else problems.push(schema ? `invalid settings.limits.${key}; using its default` : `unknown limit settings.limits.${key}; ignored`);
  }
  return definedOnly(limits) as LimitsOverride;
}

function summarizeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}
