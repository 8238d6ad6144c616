import type { SupervisionClock, TimerHandle } from './clock.js';

/** Options of {@link HealthMonitor}. */
export interface HealthMonitorOptions {
  /** Time between the end of one ping and the start of the next. */
  intervalMs: number;
  /** How long one ping may take before it counts as missed. */
  timeoutMs: number;
  /** Misses in a row that make the backend unhealthy (the first miss makes it degraded). */
  maxMisses: number;
  clock: SupervisionClock;
  /** Sends one MCP `ping`; rejects (or never settles) when the backend does not answer. */
  ping(timeoutMs: number): Promise<unknown>;
  /** A ping was missed; `misses` counts them in a row. */
  onMiss(misses: number, reason: string): void;
  /** A ping was answered after one or more misses. */
  onRecovered(): void;
  /** `maxMisses` pings in a row were missed; the monitor has stopped itself. */
  onUnhealthy(reason: string): void;
}

/**
 * Pings one running backend on an interval. Pings never overlap: the next is scheduled when the
 * previous has been answered or timed out, so a slow backend is never flooded.
 */
export class HealthMonitor {
  #timer?: TimerHandle;
  #misses = 0;
  #stopped = false;

  constructor(private readonly opts: HealthMonitorOptions) {}

  start(): void {
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    this.opts.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.opts.clock.setTimeout(() => void this.#check(), this.opts.intervalMs);
  }

  async #check(): Promise<void> {
    const { clock, timeoutMs } = this.opts;
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = clock.setTimeout(() => resolve('timeout'), timeoutMs)));
    const answered = this.opts.ping(timeoutMs).then(
      () => 'ok' as const,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    const outcome = await Promise.race([answered, timedOut]);
    clock.clearTimeout(timer);
    if (this.#stopped) return;
    if (outcome === 'ok') {
      const wasMissing = this.#misses > 0;
      this.#misses = 0;
      if (wasMissing) this.opts.onRecovered();
      return this.#schedule();
    }
    this.#misses += 1;
    const reason = outcome === 'timeout' ? `did not answer ping within ${timeoutMs} ms` : `ping failed: ${outcome}`;
    if (this.#misses >= this.opts.maxMisses) {
      this.stop();
      this.opts.onUnhealthy(`${reason} (${this.#misses} in a row)`);
      return;
    }
    this.opts.onMiss(this.#misses, reason);
    this.#schedule();
  }
}
