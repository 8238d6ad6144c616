/** Anything that holds a resource (listener, timer, handle) and can give it back. */
export interface IDisposable {
  dispose(): void;
}

/** Wraps a teardown function as an {@link IDisposable}; calling it twice is harmless. */
export function toDisposable(fn: () => void): IDisposable {
  let done = false;
  return {
    dispose(): void {
      if (done) return;
      done = true;
      fn();
    },
  };
}

/** Collects disposables and disposes them together, in reverse order of addition. */
export class DisposableStore implements IDisposable {
  #items: IDisposable[] = [];
  #disposed = false;

  /** Adds `item`; if the store is already disposed the item is disposed at once. */
  add<T extends IDisposable>(item: T): T {
    if (this.#disposed) item.dispose();
    else this.#items.push(item);
    return item;
  }

  dispose(): void {
    this.#disposed = true;
    const items = this.#items.reverse();
    this.#items = [];
    for (const item of items) item.dispose();
  }
}
