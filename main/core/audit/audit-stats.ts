/**
 * Per-server figures from the audit events: calls, outcomes, latency quantiles, and their
 * Prometheus text rendering.
 *
 * Counts cover every request event the store has seen since it opened (the events still on
 * disk at open, then each new one), so they only go up while the gateway runs, as Prometheus
 * counters must; a restart resets them. Latency quantiles are over a bounded window: the last
 * {@link LATENCY_WINDOW} request durations of each server.
 */
import type { ServerStats } from '../../../shared/control-api.js';
import { AUDIT_OUTCOMES, type AuditOutcome } from './audit-event.js';

export type { ServerStats };

export const LATENCY_WINDOW = 1024;


/** What {@link AuditStats.observe} needs from an event. */
export interface StatsSample {
  kind: string;
  server?: string | undefined;
  outcome?: string | undefined;
  durationMs?: number | undefined;
  event?: string | undefined;
}

class ServerFigures {
  calls = 0;
  readonly outcomes = new Map<string, number>();
  readonly lifecycle = new Map<string, number>();
  readonly latencies = new Float64Array(LATENCY_WINDOW);
  latencyCount = 0;
  /** Total latency samples ever, for the Prometheus summary's _sum/_count. */
  latencySum = 0;
  latencyTotal = 0;
}

/** Accumulates {@link ServerStats} from events. */
export class AuditStats {
  readonly #servers = new Map<string, ServerFigures>();

  /** Counts one event: request events count as calls; lifecycle events by kind; others are ignored. */
  observe(sample: StatsSample): void {
    if (!sample.server) return;
    if (sample.kind !== 'request' && sample.kind !== 'lifecycle') return;
    let figures = this.#servers.get(sample.server);
    if (!figures) this.#servers.set(sample.server, (figures = new ServerFigures()));
    if (sample.kind === 'lifecycle') {
      const name = sample.event ?? 'unknown';
      figures.lifecycle.set(name, (figures.lifecycle.get(name) ?? 0) + 1);
      return;
    }
    figures.calls++;
    const outcome = sample.outcome ?? 'ok';
    figures.outcomes.set(outcome, (figures.outcomes.get(outcome) ?? 0) + 1);
    const duration = sample.durationMs;
    if (typeof duration === 'number' && Number.isFinite(duration)) {
      figures.latencies[figures.latencyCount % LATENCY_WINDOW] = duration;
      figures.latencyCount++;
      figures.latencySum += duration;
      figures.latencyTotal++;
    }
  }

  /** Figures per server, sorted by name. */
  snapshot(): ServerStats[] {
    return [...this.#servers.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([server, f]) => {
        const samples = f.latencies.slice(0, Math.min(f.latencyCount, LATENCY_WINDOW)).sort();
        const outcomes = Object.fromEntries(AUDIT_OUTCOMES.map((o) => [o, f.outcomes.get(o) ?? 0])) as Record<AuditOutcome, number>;
        return {
          server,
          calls: f.calls,
          outcomes,
          errors: f.calls - outcomes.ok,
          p50Ms: quantile(samples, 0.5),
          p95Ms: quantile(samples, 0.95),
          latencySamples: samples.length,
          lifecycle: Object.fromEntries(f.lifecycle),
        };
      });
  }

  /**
   * Prometheus text format (0.0.4): `gatehouse_calls_total{server,outcome}`,
   * `gatehouse_call_duration_ms{server,quantile}` (a summary over the recent window, with
   * `_sum` and `_count` over all calls) and `gatehouse_backend_events_total{server,event}`.
   */
  renderPrometheus(): string {
    const lines: string[] = [];
    const stats = this.snapshot();
    lines.push('# HELP gatehouse_calls_total Requests through the gateway, by server and outcome.');
    lines.push('# TYPE gatehouse_calls_total counter');
    for (const s of stats) {
      for (const outcome of AUDIT_OUTCOMES) {
        lines.push(`gatehouse_calls_total{server="${label(s.server)}",outcome="${outcome}"} ${s.outcomes[outcome]}`);
      }
    }
    lines.push(`# HELP gatehouse_call_duration_ms Request latency in milliseconds (quantiles over the last ${LATENCY_WINDOW} calls per server).`);
    lines.push('# TYPE gatehouse_call_duration_ms summary');
    for (const s of stats) {
      const f = this.#servers.get(s.server)!;
      const server = label(s.server);
      if (s.p50Ms !== null) lines.push(`gatehouse_call_duration_ms{server="${server}",quantile="0.5"} ${s.p50Ms}`);
      if (s.p95Ms !== null) lines.push(`gatehouse_call_duration_ms{server="${server}",quantile="0.95"} ${s.p95Ms}`);
      lines.push(`gatehouse_call_duration_ms_sum{server="${server}"} ${f.latencySum}`);
      lines.push(`gatehouse_call_duration_ms_count{server="${server}"} ${f.latencyTotal}`);
    }
    lines.push('# HELP gatehouse_backend_events_total Backend lifecycle events (start, exit, restart, error).');
    lines.push('# TYPE gatehouse_backend_events_total counter');
    for (const s of stats) {
      for (const [event, count] of Object.entries(s.lifecycle)) {
        lines.push(`gatehouse_backend_events_total{server="${label(s.server)}",event="${label(event)}"} ${count}`);
      }
    }
    return lines.join('\n') + '\n';
  }
}

/** Nearest-rank quantile of sorted `values`; null for none. */
export function quantile(sorted: ArrayLike<number>, q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

/** A Prometheus label value: backslash, quote and newline escaped. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
