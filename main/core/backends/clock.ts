/** An opaque timer handle from {@link SupervisionClock.setTimeout}. */
export type TimerHandle = { readonly __timer: unique symbol } | NodeJS.Timeout;

/**
 * Time, timers and randomness for supervision, passed in so tests can run restarts, pings and
 * idle stops on a fake clock instead of waiting.
 */
export interface SupervisionClock {
  now(): number;
  /** Timers never keep the process alive on their own. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  /** A number in [0, 1), for backoff jitter. */
  random(): number;
}

/** The real clock: `Date.now`, unref'd Node timers, `Math.random`. */
export const systemClock: SupervisionClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
  random: () => Math.random(),
};
