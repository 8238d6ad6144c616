import type { SupervisionClock, TimerHandle } from '../../../../../main/core/backends/clock.js';

/**
 * A {@link SupervisionClock} that moves only when told: `advance(ms)` runs the timers that fall
 * due, in order, letting promises settle between them. `random` returns `randomValue`.
 */
export class FakeClock implements SupervisionClock {
  current = 1_000_000;
  randomValue = 0.5;
  #nextId = 1;
  #timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.current + Math.max(0, ms), fn });
    return id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle !== undefined) this.#timers.delete(handle as unknown as number);
  }

  random(): number {
    return this.randomValue;
  }

  /** Timers still pending. */
  get pending(): number {
    return this.#timers.size;
  }

  /** When the earliest pending timer is due, if any. */
  get nextDue(): number | undefined {
    let at: number | undefined;
    for (const timer of this.#timers.values()) if (at === undefined || timer.at < at) at = timer.at;
    return at;
  }

  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    for (;;) {
      await flush();
      const due = [...this.#timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.current = due[1].at;
      due[1].fn();
    }
    this.current = until;
    await flush();
  }
}

/** Lets pending promise callbacks run (a few macrotask turns). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
