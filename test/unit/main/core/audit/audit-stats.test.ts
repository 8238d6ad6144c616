import { afterEach, describe, expect, it } from 'vitest';
import { AuditStats, LATENCY_WINDOW, quantile } from '../../../../../main/core/audit/audit-stats.js';
import { call, Scratch } from './helpers.js';

const scratch = new Scratch();
afterEach(() => scratch.cleanup());

describe('AuditStats', () => {
  it('counts calls and errors by outcome per server, and takes nearest-rank quantiles', () => {
    const stats = new AuditStats();
    for (let ms = 1; ms <= 100; ms++) stats.observe({ kind: 'request', server: 'files', outcome: ms % 10 === 0 ? 'timeout' : 'ok', durationMs: ms });
    stats.observe({ kind: 'request', server: 'github', outcome: 'backend_http_error', durationMs: 7 });
    stats.observe({ kind: 'notification', server: 'files', outcome: 'ok' });
    stats.observe({ kind: 'lifecycle', server: 'files', event: 'exit' });
    const [files, github] = stats.snapshot();
    expect(files).toMatchObject({ server: 'files', calls: 100, errors: 10, p50Ms: 50, p95Ms: 95, latencySamples: 100, lifecycle: { exit: 1 } });
    expect(files!.outcomes).toMatchObject({ ok: 90, timeout: 10, rpc_error: 0 });
    expect(github).toMatchObject({ calls: 1, errors: 1, p50Ms: 7, p95Ms: 7 });
  });

  it('computes latency over the most recent window only', () => {
    const stats = new AuditStats();
    for (let i = 0; i < LATENCY_WINDOW; i++) stats.observe({ kind: 'request', server: 's', durationMs: 1000 });
    for (let i = 0; i < LATENCY_WINDOW; i++) stats.observe({ kind: 'request', server: 's', durationMs: 2 });
    expect(stats.snapshot()[0]).toMatchObject({ calls: 2 * LATENCY_WINDOW, p50Ms: 2, p95Ms: 2 });
  });

  it('quantile of nothing is null', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([3], 0.95)).toBe(3);
  });

  it('renders Prometheus text with escaped labels', () => {
    const stats = new AuditStats();
    stats.observe({ kind: 'request', server: 'we"ird', outcome: 'ok', durationMs: 4 });
    stats.observe({ kind: 'request', server: 'we"ird', outcome: 'denied', durationMs: 6 });
    const text = stats.renderPrometheus();
    expect(text).toContain('# TYPE gatehouse_calls_total counter');
    expect(text).toContain('gatehouse_calls_total{server="we\\"ird",outcome="ok"} 1');
    expect(text).toContain('gatehouse_calls_total{server="we\\"ird",outcome="denied"} 1');
    expect(text).toContain('gatehouse_call_duration_ms{server="we\\"ird",quantile="0.5"} 4');
    expect(text).toContain('gatehouse_call_duration_ms{server="we\\"ird",quantile="0.95"} 6');
    expect(text).toContain('gatehouse_call_duration_ms_sum{server="we\\"ird"} 10');
    expect(text).toContain('gatehouse_call_duration_ms_count{server="we\\"ird"} 2');
    // Every sample line is `name{labels} number`.
    for (const line of text.trimEnd().split('\n').filter((l) => !l.startsWith('#'))) expect(line).toMatch(/^[a-z_]+\{.*\} [\d.]+$/);
  });

  it('the store counts events already on disk when it opens', async () => {
    const dir = await scratch.dir();
    const store = await scratch.open({ dir });
    store.record(call({ outcome: 'ok', durationMs: 10 }));
    store.record(call({ outcome: 'tool_error', durationMs: 30 }));
    await store.close();
    const reopened = await scratch.open({ dir });
    reopened.record(call({ outcome: 'ok', durationMs: 20 }));
    expect(reopened.stats()).toEqual([
      expect.objectContaining({ server: 'files', calls: 3, errors: 1, p50Ms: 20, p95Ms: 30 }),
    ]);
    expect(reopened.metrics()).toContain('gatehouse_calls_total{server="files",outcome="tool_error"} 1');
  });
});
