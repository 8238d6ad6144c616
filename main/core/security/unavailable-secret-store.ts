/**
 * The secret store of a gateway that cannot protect secrets: it fails closed. Nothing is stored
 * and nothing is found; every write is refused with the reason, so the UI and the admin API can
 * say why (503), and a server that refers to a secret fails with that reason instead of "not set".
 *
 * The desktop app uses it where Electron's `safeStorage` would not protect anything (Linux
 * without a keyring: the `basic_text` backend) until the user chooses the encrypted-file store.
 */
import { Emitter, type Event } from '../base/emitter.js';
import type { SecretChangeEvent, SecretInfo, SecretStore } from './secret-store.js';

/** What {@link UnavailableSecretStore} tells people to do, unless given something better. */
const DEFAULT_REMEDY = 'See "Secret store" in Settings.';

/** Thrown by the writes of an {@link UnavailableSecretStore}: the message is the reason and what to do. */
export class SecretStoreUnavailableError extends Error {
  override readonly name = 'SecretStoreUnavailableError';

  constructor(
    /** Why no secret can be stored, as given to the store. */
    readonly reason: string,
    remedy: string = DEFAULT_REMEDY,
  ) {
    super(`No secret can be stored: ${sentence(reason)}${remedy ? ` ${sentence(remedy)}` : ''}`);
  }
}

/** A {@link SecretStore} that holds nothing and refuses every write with {@link SecretStoreUnavailableError}. */
export class UnavailableSecretStore implements SecretStore {
  readonly #onDidChange = new Emitter<SecretChangeEvent>();
  readonly #remedy: string | undefined;

  /** Never fires: nothing ever changes. */
  readonly onDidChange: Event<SecretChangeEvent> = this.#onDidChange.event;

  /**
   * @param reason why no secret can be stored, for people (e.g. "Electron found no keyring on
   *   this system (backend basic_text)..."); it is also {@link unavailableReason}.
   * @param remedy what to do about it; defaults to pointing at Settings.
   */
  constructor(
    readonly reason: string,
    remedy?: string,
  ) {
    this.#remedy = remedy;
  }

  /** Same as {@link reason}: read by `resolveSecretRefs` to say why a reference cannot resolve. */
  get unavailableReason(): string {
    return this.reason;
  }

  get(_name: string): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }

  set(_name: string, _value: string): Promise<void> {
    return Promise.reject(this.#error());
  }

  delete(_name: string): Promise<boolean> {
    return Promise.reject(this.#error());
  }

  has(_name: string): boolean {
    return false;
  }

  list(): SecretInfo[] {
    return [];
  }

  values(): string[] {
    return [];
  }

  refresh(): Promise<void> {
    return Promise.resolve();
  }

  dispose(): void {
    this.#onDidChange.dispose();
  }

  #error(): SecretStoreUnavailableError {
    return new SecretStoreUnavailableError(this.reason, this.#remedy);
  }
}

/** `text` with a final period, so reason and remedy read as two sentences. */
function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
