import { toDisposable, type IDisposable } from './disposable.js';

/** A subscribable event: call it with a listener, dispose the result to unsubscribe. */
export type Event<T> = (listener: (value: T) => void) => IDisposable;

/**
 * A tiny synchronous event emitter. Listeners run in subscription order; a listener that
 * throws does not stop the others (the error is reported through `onListenerError`).
 */
export class Emitter<T> {
  #listeners = new Set<(value: T) => void>();

  constructor(private readonly onListenerError: (error: unknown) => void = () => {}) {}

  readonly event: Event<T> = (listener) => {
    this.#listeners.add(listener);
    return toDisposable(() => this.#listeners.delete(listener));
  };

  fire(value: T): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(value);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  dispose(): void {
    this.#listeners.clear();
  }
}
