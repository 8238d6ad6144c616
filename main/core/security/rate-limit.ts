/**
 * Per-token request rate limiting: one token bucket per key (a token id). A bucket holds up to
 * `burst` requests and refills at `ratePerSecond`; a request that finds it empty is refused with
 * the seconds until one request's worth has refilled, for a 429 `Retry-After`.
 */

/** Options of {@link RateLimiter}. */
export interface RateLimitOptions {
  /** Sustained requests per second per key. Default 50. */
  ratePerSecond?: number;
  /** Requests a key may make at once after being idle. Default 100. */
  burst?: number;
  /** Monotonic clock in milliseconds. Default `performance.now()`. */
  now?: () => number;
  /** Keys tracked before idle full buckets are swept. Default 10 000. */
  maxKeys?: number;
}

/** Outcome of {@link RateLimiter.take}. */
export type RateLimitVerdict = { ok: true } | { ok: false; retryAfterSeconds: number };

export const DEFAULT_RATE_PER_SECOND = 50;
export const DEFAULT_BURST = 100;

interface Bucket {
  tokens: number;
  at: number;
}

/** A token-bucket limiter keyed by string. Cheap: O(1) per request, no timers. */
export class RateLimiter {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly #now: () => number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(opts: Readonly<RateLimitOptions> = {}) {
    this.ratePerSecond = opts.ratePerSecond ?? DEFAULT_RATE_PER_SECOND;
    this.burst = opts.burst ?? DEFAULT_BURST;
    if (!(this.ratePerSecond > 0) || !Number.isFinite(this.ratePerSecond)) throw new RangeError('ratePerSecond must be a positive number');
    if (!(this.burst >= 1) || !Number.isFinite(this.burst)) throw new RangeError('burst must be at least 1');
    this.#now = opts.now ?? (() => performance.now());
    this.#maxKeys = opts.maxKeys ?? 10_000;
  }

  /** Takes one request's worth from `key`'s bucket, or says how long to wait. */
  take(key: string): RateLimitVerdict {
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.#maxKeys) this.#sweep(now);
      bucket = { tokens: this.burst, at: now };
      this.#buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.ratePerSecond);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: (1 - bucket.tokens) / this.ratePerSecond };
  }

  /** Drops `key`'s bucket (a revoked token). */
  forget(key: string): void {
    this.#buckets.delete(key);
  }

  /** Buckets that would be full again carry no state: drop them. */
  #sweep(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.ratePerSecond >= this.burst) this.#buckets.delete(key);
    }
  }
}
