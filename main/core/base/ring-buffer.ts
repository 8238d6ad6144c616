/** Keeps the last `capacity` items; older ones fall off the front. */
export class RingBuffer<T> {
  #items: T[] = [];

  constructor(readonly capacity: number) {}

  push(item: T): void {
    this.#items.push(item);
    if (this.#items.length > this.capacity) this.#items.splice(0, this.#items.length - this.capacity);
  }

  /** The items, oldest first (a copy). */
  toArray(): T[] {
    return [...this.#items];
  }

  /** The last `n` items, oldest first. */
  tail(n: number): T[] {
    return this.#items.slice(Math.max(0, this.#items.length - n));
  }

  clear(): void {
    this.#items = [];
  }
}
