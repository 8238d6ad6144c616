/** The audit chart's buckets and the time-range helpers of the audit filters (pure, no DOM). */
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../shared/control-api.js';
import { BUCKETS, bucketize, GATEWAY_ROW } from '../../../renderer/src/features/audit/chart-data.js';
import { fromLocalInput, resolveBound, toLocalInput } from '../../../renderer/src/features/audit/time-range.js';

let next = 0;
function event(time: number, fields: Partial<AuditEvent> = {}): AuditEvent {
  return { id: String(next++), time, kind: 'request', outcome: 'ok', ...fields };
}

describe('audit chart buckets', () => {
  it('counts calls and non-ok outcomes per server in equal slices, busiest server first', () => {
    const from = 0;
    const to = BUCKETS * 1000;
    const data = bucketize(
      [
        event(0, { server: 'a' }),
        event(500, { server: 'a', outcome: 'timeout' }),
        event(to - 1, { server: 'a' }),
        event(3500, { server: 'b', outcome: 'denied' }),
        event(3600),
        event(to, { server: 'a' }), // at `to`: outside [from, to)
        event(100, { server: 'a', kind: 'lifecycle', event: 'start', outcome: undefined }),
      ],
      from,
      to,
    );
    expect(data.series.map((s) => s.server)).toEqual(['a', GATEWAY_ROW, 'b']);
    const a = data.series[0]!;
    expect([a.totalCalls, a.totalErrors]).toEqual([3, 1]);
    expect(a.calls[0]).toBe(2);
    expect(a.errors[0]).toBe(1);
    expect(a.calls[BUCKETS - 1]).toBe(1);
    expect(data.series[2]!.errors[3]).toBe(1);
    expect(data.max).toBe(2);
  });

  it('has no rows and a max of 1 without calls', () => {
    expect(bucketize([], 0, 1000)).toMatchObject({ series: [], max: 1 });
  });
});

describe('time range', () => {
  const now = Date.UTC(2026, 10, 21, 12, 0, 0);

  it('resolves bounds the way the audit API does', () => {
    expect(resolveBound('1h', now)).toBe(now - 3_600_000);
    expect(resolveBound('7d', now)).toBe(now - 7 * 86_400_000);
    expect(resolveBound('2026-11-21T10:00:00Z', now)).toBe(Date.UTC(2026, 10, 21, 10));
    expect(resolveBound(String(now), now)).toBe(now);
    expect(resolveBound('yesterday', now)).toBeUndefined();
    expect(resolveBound(undefined, now)).toBeUndefined();
  });

  it('round-trips a datetime-local value through the ISO form the URL keeps', () => {
    const iso = fromLocalInput('2020-01-01T00:00');
    expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$/);
    expect(toLocalInput(Date.parse(iso))).toBe('2020-01-01T00:00');
    expect(fromLocalInput('')).toBe('');
    expect(toLocalInput(undefined)).toBe('');
  });
});
