/**
 * Per-token request rate limiting: one token bucket per key (a token id). A bucket holds up to
 * `burst` requests and refills at `ratePerSecond`; a request that finds too little in it is
 * refused with the seconds until its cost has refilled, for a 429 `Retry-After`.
 */
import { DEFAULT_LIMITS } from './limits.js';

/** Options of {@link RateLimiter}. */
export interface RateLimitOptions {
  /** Sustained requests per second per key. Default `DEFAULT_LIMITS.ratePerSecond`. */
  ratePerSecond?: number;
  /** Requests a key may make at once after being idle. Default `DEFAULT_LIMITS.rateBurst`. */
  burst?: number;
  /** Monotonic clock in milliseconds. Default `performance.now()`. */
  now?: () => number;
  /** Keys tracked before idle full buckets are swept. Default 10 000. */
  maxKeys?: number;
}

/** Outcome of {@link RateLimiter.take}. */
export type RateLimitVerdict = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** A token-bucket limiter keyed by string. Cheap: O(1) per request, no timers. */
export class RateLimiter {
  #ratePerSecond: number;
  #burst: number;
  readonly #now: () => number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(opts: Readonly<RateLimitOptions> = {}) {
    [this.#ratePerSecond, this.#burst] = checked(opts.ratePerSecond ?? DEFAULT_LIMITS.ratePerSecond, opts.burst ?? DEFAULT_LIMITS.rateBurst);
    this.#now = opts.now ?? (() => performance.now());
    this.#maxKeys = opts.maxKeys ?? 10_000;
  }

  get ratePerSecond(): number {
    return this.#ratePerSecond;
  }

  get burst(): number {
    return this.#burst;
  }

  /** New figures, effective at once (a setting changed); buckets keep what they hold, up to the new burst. */
  configure(opts: Readonly<Pick<RateLimitOptions, 'ratePerSecond' | 'burst'>>): void {
    const now = this.#now();
    // Settle every bucket at the old rate first, so the new rate only counts from now on.
    for (const bucket of this.#buckets.values()) this.#refill(bucket, now);
    [this.#ratePerSecond, this.#burst] = checked(opts.ratePerSecond ?? this.#ratePerSecond, opts.burst ?? this.#burst);
    for (const bucket of this.#buckets.values()) bucket.tokens = Math.min(bucket.tokens, this.#burst);
  }

  /**
   * Takes `cost` requests' worth (default 1) from `key`'s bucket, or says how long to wait. A
   * cost above the burst (a batch larger than it) needs a full bucket and empties it.
   */
  take(key: string, cost = 1): RateLimitVerdict {
    const now = this.#now();
    const need = Math.min(cost, this.#burst);
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.#maxKeys) this.#sweep(now);
      bucket = { tokens: this.#burst, at: now };
      this.#buckets.set(key, bucket);
    } else {
      this.#refill(bucket, now);
    }
    if (bucket.tokens >= need) {
      bucket.tokens -= need;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: (need - bucket.tokens) / this.#ratePerSecond };
  }

  /** Drops `key`'s bucket (a revoked token). */
  forget(key: string): void {
    this.#buckets.delete(key);
  }

  #refill(bucket: Bucket, now: number): void {
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 1000) * this.#ratePerSecond);
    bucket.at = now;
  }

  /** Buckets that would be full again carry no state: drop them. */
  #sweep(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.#ratePerSecond >= this.#burst) this.#buckets.delete(key);
    }
  }
}

function checked(ratePerSecond: number, burst: number): [number, number] {
  if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError('ratePerSecond must be a positive number');
  if (!(burst >= 1) || !Number.isFinite(burst)) throw new RangeError('burst must be at least 1');
  return [ratePerSecond, burst];
}
