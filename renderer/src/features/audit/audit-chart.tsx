import type { ReactElement } from 'react';
import { BUCKETS, GATEWAY_ROW, type ChartData, type ServerSeries } from './chart-data.js';

const WIDTH = 288;
const HEIGHT = 40;

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function label(ms: number, span: number): string {
  const d = new Date(ms);
  return span > 2 * 86_400_000
    ? d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
    : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
}

function Row({ series, data }: { series: ServerSeries; data: ChartData }): ReactElement {
  const barWidth = WIDTH / BUCKETS;
  const h = (n: number): number => (n === 0 ? 0 : Math.max(2, (n / data.max) * (HEIGHT - 2)));
  const summary = `${series.server}: ${plural(series.totalCalls, 'call')}, ${plural(series.totalErrors, 'error')}`;
  return (
    <li className="chart-row" data-server={series.server} data-calls={series.totalCalls} data-errors={series.totalErrors}>
      <span className="chart-name ellipsis" title={series.server === GATEWAY_ROW ? 'Requests to the aggregate endpoint itself (initialize, lists)' : series.server}>
        {series.server}
      </span>
      <svg className="chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width={WIDTH} height={HEIGHT} role="img" aria-label={summary}>
        <title>{summary}</title>
        <line className="chart-axis" x1="0" x2={WIDTH} y1={HEIGHT - 0.5} y2={HEIGHT - 0.5} />
        {series.calls.map((calls, i) => {
          const errors = series.errors[i] ?? 0;
          const x = i * barWidth + 1;
          const start = data.from + i * data.bucketMs;
          return (
            <g key={i}>
              <title>{`${label(start, data.to - data.from)}: ${plural(calls, 'call')}, ${plural(errors, 'error')}`}</title>
              <rect className="chart-calls" x={x} width={barWidth - 2} y={HEIGHT - h(calls)} height={h(calls)} />
              {errors > 0 && <rect className="chart-errors" x={x} width={barWidth - 2} y={HEIGHT - h(errors)} height={h(errors)} />}
            </g>
          );
        })}
      </svg>
      <span className="chart-figures muted">
        {plural(series.totalCalls, 'call')} · <span className={series.totalErrors > 0 ? 'chart-error-count' : ''}>{plural(series.totalErrors, 'error')}</span>
      </span>
    </li>
  );
}

/** Small multiples: one row of bars per server over the same time axis. Inline SVG, no library. */
export function AuditChart({ data, truncated }: { data: ChartData; truncated: boolean }): ReactElement {
  const span = data.to - data.from;
  return (
    <section className="panel audit-chart" aria-label="Calls and errors over time">
      <div className="chart-head">
        <h2>Calls and errors over time</h2>
        <span className="muted">
          {label(data.from, span)} – {label(data.to, span)} ·{' '}
          <span className="legend legend-calls" aria-hidden="true" /> calls <span className="legend legend-errors" aria-hidden="true" /> errors
        </span>
      </div>
      {data.series.length === 0 ? (
        <p className="muted">No calls in this range.</p>
      ) : (
        <ul className="chart-rows">
          {data.series.map((s) => (
            <Row key={s.server} series={s} data={data} />
          ))}
        </ul>
      )}
      {truncated && <p className="hint">Only the latest 1,000 calls are charted; narrow the time range for the whole picture.</p>}
    </section>
  );
}
