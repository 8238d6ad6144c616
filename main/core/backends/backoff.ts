/** Timing of automatic restarts; every field has a default (see {@link DEFAULT_RESTART_TIMING}). */
export interface RestartTiming {
  /** Delay before the first restart after a healthy run. */
  initialDelayMs: number;
  /** The delay doubles per consecutive failure up to this. */
  maxDelayMs: number;
  /** A run that stayed healthy this long forgets the failures before it (delay back to initial). */
  resetAfterMs: number;
  /** Failures are counted within this sliding window for the crash-loop cap. */
  windowMs: number;
  /** Each delay is spread by ± this fraction, so backends that failed together don't restart together. */
  jitter: number;
}

export const DEFAULT_RESTART_TIMING: Readonly<RestartTiming> = {
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  resetAfterMs: 5 * 60_000,
  windowMs: 10 * 60_000,
  jitter: 0.2,
};

/** What to do about a failure. */
export type RestartDecision =
  | { restart: true; delayMs: number; /** 1 for the first restart of a series. */ attempt: number }
  | { restart: false; reason: string };

/**
 * Exponential backoff with jitter and a crash-loop cap, for one backend. Pure: the caller
 * passes the time and owns the timers, so it is tested with plain numbers.
 *
 * - {@link onFailure} is called for every failure (exit, lost connection, missed pings, failed
 *   start). It answers "restart after N ms" or, when more than `maxRestarts` failures fell
 *   within the window, "give up" with a reason such as `crashed 6 times in 2 min`.
 * - {@link onRunning} is called when a run reaches `running`. If that run then lasts
 *   `resetAfterMs` before its next failure, the delay starts again from `initialDelayMs`.
 */
export class RestartPolicy {
  readonly #timing: RestartTiming;
  #failures: number[] = [];
  #consecutive = 0;
  #runningSince?: number;

  constructor(
    private readonly maxRestarts: number,
    timing: Partial<RestartTiming> = {},
    private readonly random: () => number = Math.random,
  ) {
    this.#timing = { ...DEFAULT_RESTART_TIMING, ...timing };
  }

  /** Failures counted in the current window (as of the last call). */
  get failuresInWindow(): number {
    return this.#failures.length;
  }

  onRunning(now: number): void {
    this.#runningSince = now;
  }

  onFailure(now: number): RestartDecision {
    const t = this.#timing;
    if (this.#runningSince !== undefined && now - this.#runningSince >= t.resetAfterMs) this.#consecutive = 0;
    this.#runningSince = undefined;
    this.#failures = this.#failures.filter((at) => now - at < t.windowMs);
    this.#failures.push(now);
    if (this.#failures.length > this.maxRestarts) {
      const span = now - this.#failures[0]!;
      const n = this.#failures.length;
      return { restart: false, reason: `failed ${n} time${n === 1 ? '' : 's'} in ${formatDuration(span)}; not restarting` };
    }
    const base = Math.min(t.maxDelayMs, t.initialDelayMs * 2 ** this.#consecutive);
    const spread = 1 - t.jitter + 2 * t.jitter * this.random();
    this.#consecutive += 1;
    return { restart: true, delayMs: Math.max(0, Math.min(t.maxDelayMs, Math.round(base * spread))), attempt: this.#consecutive };
  }

  /** Forgets every failure (a user's explicit start or restart). */
  reset(): void {
    this.#failures = [];
    this.#consecutive = 0;
    this.#runningSince = undefined;
  }
}

/** `850 ms`, `12 s`, `3 min`: short enough for a status line. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1_000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}
