/**
 * The secret store port: named credential values that registry entries refer to as
 * `${secret:NAME}`. Implementations: {@link EncryptedFileSecretStore} (headless, AES-256-GCM
 * file) and {@link SafeStorageSecretStore} (Electron `safeStorage`), plus
 * {@link MemorySecretStore} for tests.
 *
 * Values never leave through `list()` or events: only names and times do.
 */
import { Emitter, type Event } from '../base/emitter.js';

/** A secret as it may be shown: its name and when it was last set. Never the value. */
export interface SecretInfo {
  name: string;
  /** ISO 8601. */
  updatedAt: string;
}

/** Fired after a change has been persisted. */
export interface SecretChangeEvent {
  type: 'set' | 'deleted';
  name: string;
}

/** Named secrets. Mutations resolve once the change is on disk. */
export interface SecretStore {
  /** The value of `name`, or `undefined`. */
  get(name: string): Promise<string | undefined>;
  /**
   * Sets `name` to `value`.
   *
   * @throws Error when the name is invalid ({@link checkSecretName}) or the value empty.
   */
  set(name: string, value: string): Promise<void>;
  /** Deletes `name`; `false` when it did not exist. */
  delete(name: string): Promise<boolean>;
  /** Whether `name` is set. */
  has(name: string): boolean;
  /** Every secret's name and time, sorted by name. */
  list(): SecretInfo[];
  /** Every value, for the audit redactor (which masks them wherever they appear). */
  values(): string[];
  /**
   * Catches up with changes made by another process (the CLI beside a running gateway). `get`
   * and mutations do this themselves; call it before the synchronous `list`, `has`, `values`
   * when that matters.
   */
  refresh(): Promise<void>;
  /** Fired after each persisted change. */
  readonly onDidChange: Event<SecretChangeEvent>;
  /**
   * Set only by a store that cannot hold secrets at all (`UnavailableSecretStore`): why. A
   * reference then fails with this reason rather than "not set".
   */
  readonly unavailableReason?: string;
}

/** Secret names: what may follow `${secret:` (and appear in a file name or a CLI argument). */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Returns a reason when `name` cannot name a secret, `undefined` when it can. */
export function checkSecretName(name: string): string | undefined {
  if (name.length === 0) return 'secret name is empty';
  if (name.length > 128) return 'secret name is longer than 128 characters';
  if (!SECRET_NAME_PATTERN.test(name)) return 'secret name may contain only letters, digits, "-", "_" and ".", and must start with a letter or digit';
  return undefined;
}

/** One secret in memory. */
export interface SecretEntry {
  value: string;
  updatedAt: string;
}

/**
 * The shared logic of the implementations: an in-memory map, validated mutations applied one
 * at a time, each written through {@link persist} before the map changes and the event fires
 * (a failed write leaves the map as it was).
 */
export class MapSecretStore implements SecretStore {
  protected entries: Map<string, SecretEntry>;
  readonly #now: () => Date;
  readonly #onDidChange = new Emitter<SecretChangeEvent>();
  #queue: Promise<unknown> = Promise.resolve();

  readonly onDidChange: Event<SecretChangeEvent> = this.#onDidChange.event;

  constructor(entries: Map<string, SecretEntry>, now: () => Date = () => new Date()) {
    this.entries = entries;
    this.#now = now;
  }

  async get(name: string): Promise<string | undefined> {
    await this.refresh();
    return this.entries.get(name)?.value;
  }

  set(name: string, value: string): Promise<void> {
    const problem = checkSecretName(name);
    if (problem !== undefined) return Promise.reject(new Error(problem));
    if (value.length === 0) return Promise.reject(new Error(`secret ${JSON.stringify(name)}: value is empty`));
    return this.#mutate(async () => {
      const next = new Map(this.entries);
      next.set(name, { value, updatedAt: this.#now().toISOString() });
      await this.#commit(next);
      this.#onDidChange.fire({ type: 'set', name });
    });
  }

  delete(name: string): Promise<boolean> {
    return this.#mutate(async () => {
      if (!this.entries.has(name)) return false;
      const next = new Map(this.entries);
      next.delete(name);
      await this.#commit(next);
      this.#onDidChange.fire({ type: 'deleted', name });
      return true;
    });
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  list(): SecretInfo[] {
    return [...this.entries]
      .map(([name, entry]) => ({ name, updatedAt: entry.updatedAt }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  values(): string[] {
    return [...this.entries.values()].map((entry) => entry.value);
  }

  /** Drops the listeners. */
  dispose(): void {
    this.#onDidChange.dispose();
  }

  /** Hook: writes the complete new state. The default keeps it in memory only. */
  protected persist(_entries: ReadonlyMap<string, SecretEntry>): Promise<void> {
    return Promise.resolve();
  }

  /** Runs before reads and mutations; the file store re-reads a file changed by another process. */
  refresh(): Promise<void> {
    return Promise.resolve();
  }

  #mutate<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      await this.refresh();
      return fn();
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  async #commit(next: Map<string, SecretEntry>): Promise<void> {
    await this.persist(next);
    this.entries = next;
  }
}

/** A store that keeps secrets in memory only (tests, or a gateway run with nothing to keep). */
export class MemorySecretStore extends MapSecretStore {
  constructor(initial: Readonly<Record<string, string>> = {}, now: () => Date = () => new Date()) {
    const at = now().toISOString();
    super(new Map(Object.entries(initial).map(([name, value]) => [name, { value, updatedAt: at }])), now);
  }
}
