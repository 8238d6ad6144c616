import { describe, expect, it } from 'vitest';
import { applyLimitsPatch, describeLimits, LimitsInForce, liveLimitKeys } from '../../../../../main/core/security/limit-settings.js';
import { DEFAULT_LIMITS, limitKeys } from '../../../../../main/core/security/limits.js';

describe('limits as Settings shows them', () => {
  it('lists every limit of the schema with its facts, value, default and source', () => {
    const described = describeLimits({ running: { ...DEFAULT_LIMITS, maxSessions: 9 }, flags: { maxSessions: 9 }, saved: { maxSessions: 20, rateBurst: 70 } });
    expect(described.map((l) => l.key)).toEqual(limitKeys());
    expect(described.find((l) => l.key === 'maxSessions')).toEqual({
      key: 'maxSessions',
      title: 'Open sessions',
      description: expect.stringContaining('503'),
      unit: 'count',
      applies: 'restart',
      integer: true,
      min: 1,
      value: 9,
      configured: 9,
      default: 256,
      saved: 20,
      source: 'flag',
    });
    expect(described.find((l) => l.key === 'rateBurst')).toMatchObject({ value: 5000, configured: 70, saved: 70, source: 'settings', applies: 'live', max: 10_000_000 });
    expect(described.find((l) => l.key === 'ratePerSecond')).toMatchObject({ unit: 'per-second', integer: false, min: 0, minExclusive: true, source: 'default' });
    expect(described.find((l) => l.key === 'headersTimeoutMs')).toMatchObject({ unit: 'ms', min: 1 });
    expect(described.find((l) => l.key === 'requestTimeoutMs')).toMatchObject({ min: 0 });
    expect(described.find((l) => l.key === 'maxBodyBytes')).toMatchObject({ unit: 'bytes', applies: 'live' });
  });

  it('says which limits apply live', () => {
    expect(liveLimitKeys().sort()).toEqual(['maxBodyBytes', 'maxJsonDepth', 'rateBurst', 'ratePerSecond']);
  });
});

describe('applyLimitsPatch', () => {
  it('sets limits, resets them with null, and keeps the others', () => {
    expect(applyLimitsPatch({ maxSessions: 20, rateBurst: 70 }, { limits: { rateBurst: null, ratePerSecond: 2.5 } })).toEqual({
      ok: true,
      limits: { maxSessions: 20, ratePerSecond: 2.5 },
    });
    expect(applyLimitsPatch({ maxSessions: 20 }, {})).toEqual({ ok: true, limits: { maxSessions: 20 } });
  });

  it('names every bad field with what it must be', () => {
    const result = applyLimitsPatch({}, { limits: { maxSessions: 0, ratePerSecond: -1, maxBodyBytes: 'big', rateBrust: 3, maxJsonDepth: 1.5 }, theme: 'dark' });
    expect(result).toEqual({
      ok: false,
      errors: [
        'theme: not a setting (settings: limits)',
        'limits.maxSessions: must be a whole number of at least 1, not 0',
        'limits.ratePerSecond: must be a number above 0 and up to 1000000, not -1',
        'limits.maxBodyBytes: must be a whole number from 1 to 1073741824, not "big"',
        expect.stringMatching(/^limits\.rateBrust: no such limit \(the limits: maxBodyBytes, maxJsonDepth, /),
        'limits.maxJsonDepth: must be a whole number from 1 to 10000, not 1.5',
      ],
    });
    expect(applyLimitsPatch({}, [])).toEqual({ ok: false, errors: ['body: must be a JSON object'] });
    expect(applyLimitsPatch({}, { limits: 5 })).toEqual({ ok: false, errors: ['limits: must be an object of limit names and numbers'] });
  });
});

describe('LimitsInForce', () => {
  it('puts flags over saved settings over defaults, and follows only the live limits', () => {
    const limits = new LimitsInForce({ maxBodyBytes: 1000 }, { maxBodyBytes: 2000, maxSessions: 7, rateBurst: 50 });
    expect(limits.current).toMatchObject({ maxBodyBytes: 1000, maxSessions: 7, rateBurst: 50, ratePerSecond: DEFAULT_LIMITS.ratePerSecond });
    expect(limits.update({ maxBodyBytes: 3000, maxSessions: 8, rateBurst: 60, ratePerSecond: 5 }).sort()).toEqual(['rateBurst', 'ratePerSecond']);
    // maxBodyBytes stays with its flag; maxSessions waits for a restart.
    expect(limits.current).toMatchObject({ maxBodyBytes: 1000, maxSessions: 7, rateBurst: 60, ratePerSecond: 5 });
    expect(limits.describe({ maxSessions: 8 }).find((l) => l.key === 'maxSessions')).toMatchObject({ value: 7, configured: 8, source: 'settings' });
    expect(limits.update({ maxSessions: 8, rateBurst: 60, ratePerSecond: 5 })).toEqual([]);
  });

  it('refuses invalid flags naming the field', () => {
    expect(() => new LimitsInForce({ maxSessions: -2 }, {})).toThrow(/maxSessions/);
  });
});
