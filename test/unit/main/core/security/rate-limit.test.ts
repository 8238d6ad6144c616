import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { applyHttpLimits, connectionsCheckingIntervalMs, DEFAULT_LIMITS, resolveLimits } from '../../../../../main/core/security/limits.js';
import { RateLimiter } from '../../../../../main/core/security/rate-limit.js';

describe('RateLimiter', () => {
  it('allows a burst, then refuses with the seconds until the next request fits', () => {
    let now = 0;
    const limiter = new RateLimiter({ ratePerSecond: 2, burst: 3, now: () => now });
    expect([1, 2, 3].map(() => limiter.take('t').ok)).toEqual([true, true, true]);
    const refused = limiter.take('t');
    expect(refused).toEqual({ ok: false, retryAfterSeconds: 0.5 });
    now = 499;
    expect(limiter.take('t').ok).toBe(false);
    now = 1000;
    expect(limiter.take('t').ok).toBe(true);
  });

  it('keeps one bucket per key, and forgets a key', () => {
    let now = 0;
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1, now: () => now });
    expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false);
    expect(limiter.take('b').ok).toBe(true);
    limiter.forget('a');
    expect(limiter.take('a').ok).toBe(true);
  });

  it('refills to the burst at most', () => {
    let now = 0;
    const limiter = new RateLimiter({ ratePerSecond: 10, burst: 2, now: () => now });
    now = 60_000;
    expect([1, 2, 3].map(() => limiter.take('k').ok)).toEqual([true, true, false]);
  });

  it('has the default limits (1000 per second, bursts of 5000), and rejects nonsense', () => {
    const limiter = new RateLimiter();
    expect([limiter.ratePerSecond, limiter.burst]).toEqual([1000, 5000]);
    expect(() => new RateLimiter({ ratePerSecond: 0 })).toThrow(RangeError);
    expect(() => new RateLimiter({ burst: 0.5 })).toThrow(RangeError);
  });

  it('takes a cost of several requests at once; a cost above the burst needs a full bucket', () => {
    let now = 0;
    const limiter = new RateLimiter({ ratePerSecond: 10, burst: 5, now: () => now });
    expect(limiter.take('k', 3).ok).toBe(true);
    expect(limiter.take('k', 3)).toEqual({ ok: false, retryAfterSeconds: 0.1 });
    expect(limiter.take('k', 0).ok).toBe(true);
    now = 1000;
    expect(limiter.take('k', 50).ok).toBe(true);
    expect(limiter.take('k', 1).ok).toBe(false);
  });

  it('takes new figures at once, keeping what each bucket holds up to the new burst', () => {
    let now = 0;
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 10, now: () => now });
    expect(limiter.take('k', 4).ok).toBe(true);
    limiter.configure({ burst: 3 });
    expect([limiter.ratePerSecond, limiter.burst]).toEqual([1, 3]);
    expect(limiter.take('k', 3).ok).toBe(true);
    expect(limiter.take('k').ok).toBe(false);
    limiter.configure({ ratePerSecond: 100 });
    now = 10;
    expect(limiter.take('k').ok).toBe(true);
    expect(() => limiter.configure({ ratePerSecond: 0 })).toThrow(RangeError);
  });

  it('sweeps idle buckets when it tracks too many keys', () => {
    let now = 0;
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 2, now: () => now });
    limiter.take('a');
    limiter.take('b');
    now = 5000;
    limiter.take('c'); // a and b are full again: swept
    expect(limiter.take('a').ok).toBe(true);
  });
});

describe('limits', () => {
  it('documents sane defaults', () => {
    expect(DEFAULT_LIMITS).toMatchObject({ maxBodyBytes: 4 * 1024 * 1024, maxJsonDepth: 64, maxSessions: 256, ratePerSecond: 1000, rateBurst: 5000 });
  });

  it('applies overrides and names invalid fields', () => {
    expect(resolveLimits({ maxSessions: 10 }).maxSessions).toBe(10);
    expect(resolveLimits({ maxSessions: 10 }).maxBodyBytes).toBe(DEFAULT_LIMITS.maxBodyBytes);
    expect(() => resolveLimits({ maxSessions: 0 })).toThrow(/maxSessions/);
    expect(() => resolveLimits({ maxSesions: 3 })).toThrow(/maxSesions/);
  });

  it('sets the connection timeouts on a node:http server', () => {
    const server = createServer();
    applyHttpLimits(server, { ...DEFAULT_LIMITS, headersTimeoutMs: 1000, requestTimeoutMs: 500 });
    expect(server.headersTimeout).toBe(500);
    expect(server.requestTimeout).toBe(500);
    expect(server.keepAliveTimeout).toBe(DEFAULT_LIMITS.keepAliveTimeoutMs);
  });

  it('checks connection timeouts ten times per timeout, at least every second', () => {
    expect(connectionsCheckingIntervalMs(DEFAULT_LIMITS)).toBe(1000);
    expect(connectionsCheckingIntervalMs({ ...DEFAULT_LIMITS, headersTimeoutMs: 600 })).toBe(60);
    expect(connectionsCheckingIntervalMs({ ...DEFAULT_LIMITS, headersTimeoutMs: 60_000, requestTimeoutMs: 2_000 })).toBe(200);
    expect(connectionsCheckingIntervalMs({ ...DEFAULT_LIMITS, headersTimeoutMs: 5, requestTimeoutMs: 0 })).toBe(10);
  });
});
