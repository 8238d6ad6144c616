/**
 * The data of the audit chart: calls and errors per server in equal time slices. Pure, so it is
 * unit-tested without a DOM.
 */
import type { AuditEvent } from '../../../../shared/control-api.js';

export const BUCKETS = 24;
/** The row of requests that no one server answered (initialize, aggregate lists). */
export const GATEWAY_ROW = '(gateway)';

export interface ServerSeries {
  server: string;
  calls: number[];
  errors: number[];
  totalCalls: number;
  totalErrors: number;
}

export interface ChartData {
  from: number;
  to: number;
  bucketMs: number;
  series: ServerSeries[];
  /** The tallest bucket over all servers, so the rows compare. */
  max: number;
}

/**
 * Calls and errors per server in {@link BUCKETS} equal slices of `[from, to)`. A call is a
 * request event; an error is one whose outcome is not `ok` (as in `/admin/stats`).
 */
export function bucketize(events: readonly AuditEvent[], from: number, to: number): ChartData {
  const span = Math.max(to - from, 1);
  const bucketMs = span / BUCKETS;
  const byServer = new Map<string, ServerSeries>();
  for (const event of events) {
    if (event.kind !== 'request' || event.time < from || event.time >= to) continue;
    const server = event.server ?? GATEWAY_ROW;
    let series = byServer.get(server);
    if (!series) {
      series = { server, calls: new Array<number>(BUCKETS).fill(0), errors: new Array<number>(BUCKETS).fill(0), totalCalls: 0, totalErrors: 0 };
      byServer.set(server, series);
    }
    const i = Math.min(BUCKETS - 1, Math.floor((event.time - from) / bucketMs));
    series.calls[i]!++;
    series.totalCalls++;
    if (event.outcome !== 'ok') {
      series.errors[i]!++;
      series.totalErrors++;
    }
  }
  const series = [...byServer.values()].sort((a, b) => b.totalCalls - a.totalCalls || a.server.localeCompare(b.server));
  const max = Math.max(1, ...series.flatMap((s) => s.calls));
  return { from, to, bucketMs, series, max };
}

