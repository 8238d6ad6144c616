import { useCallback, useEffect, useMemo, useRef, useState, type CSSProperties, type FormEvent, type ReactElement } from 'react';
import { AUDIT_FILTER_KEYS, AUDIT_OUTCOMES, type AuditEvent, type AuditFilter } from '../../../../shared/control-api.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorText } from '../../components/error-text.js';
import { OutcomeBadge } from '../../components/status-badge.js';
import { useApi } from '../../hooks/use-api.js';
import { describeError, usePoll } from '../../hooks/use-poll.js';
import { auditColumns, clientOf } from './audit-columns.js';
import { AuditChart } from './audit-chart.js';
import { bucketize } from './chart-data.js';
import { resolveBound } from './time-range.js';
import { TimeRangeFields } from './time-range-fields.js';
import { VirtualList } from './virtual-list.js';

const ROW_HEIGHT = 36;
const PAGE = 200;
/** The chart reads one page of calls, the most the audit API answers at once. */
const CHART_SAMPLE = 1000;
/** Without a start, the chart covers at least this much, so a few calls do not fill the axis. */
const MIN_CHART_SPAN_MS = 15 * 60_000;

export interface AuditScreenProps {
  params: URLSearchParams;
  onParamsChange: (params: URLSearchParams) => void;
}

function filterOf(params: URLSearchParams): AuditFilter {
  const filter: AuditFilter = {};
  for (const key of AUDIT_FILTER_KEYS) {
    const value = params.get(key);
    if (value) filter[key] = value;
  }
  return filter;
}

function timeOf(ms: number): string {
  const d = new Date(ms);
  return `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${d.toLocaleTimeString(undefined, { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function whatOf(event: AuditEvent): string {
  if (event.kind === 'lifecycle') return `${event.event ?? 'lifecycle'}${event.preview ? `: ${event.preview}` : ''}`;
  return [event.method, event.target].filter(Boolean).join(' ');
}

/** The audit timeline: newest first, live, filtered by the URL, with a detail panel and export. */
export function AuditScreen({ params, onParamsChange }: AuditScreenProps): ReactElement {
  const api = useApi();
  const filter = useMemo(() => filterOf(params), [params]);
  const filterKey = JSON.stringify(filter);
  const [items, setItems] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string>();
  const [live, setLive] = useState(true);
  const [liveState, setLiveState] = useState<'off' | 'on' | 'reconnecting'>('off');
  const [selected, setSelected] = useState<AuditEvent>();
  const [prepended, setPrepended] = useState(0);
  const loadingMore = useRef(false);
  const columns = useMemo(() => auditColumns(items), [items]);
  // The figures follow the filters, as the chart and the list do.
  const stats = usePoll(() => api.stats(filter), live ? 5000 : 0);
  const refreshStats = stats.refresh;
  useEffect(() => {
    void refreshStats();
  }, [refreshStats, filterKey]);
  // Live rows count at once in the chart; the figures catch up shortly after, not at the next poll.
  useEffect(() => {
    if (prepended === 0) return undefined;
    const timer = window.setTimeout(() => void refreshStats(), 400);
    return () => window.clearTimeout(timer);
  }, [prepended, refreshStats]);
  const chartSample = usePoll(() => api.queryAudit({ ...filter, kind: 'request' }, { limit: CHART_SAMPLE }), live ? 5000 : 0);
  const refreshChart = chartSample.refresh;
  useEffect(() => {
    void refreshChart();
  }, [refreshChart, filterKey]);
  const chart = useMemo(() => {
    const sample = chartSample.data?.items;
    if (!sample) return undefined;
    // The rows already on screen (live ones included) count at once; the sample catches up on its next poll.
    const seen = new Set(sample.map((e) => e.id));
    const events = [...items.filter((e) => e.kind === 'request' && !seen.has(e.id)), ...sample];
    const now = Date.now();
    const to = resolveBound(filter.until, now) ?? now + 1;
    const oldest = sample.at(-1)?.time ?? to;
    const from = resolveBound(filter.since, now) ?? Math.min(oldest, to - MIN_CHART_SPAN_MS);
    return bucketize(events, from, to);
    // filterKey stands for filter.
  }, [chartSample.data, items, filterKey]);

  useEffect(() => {
    let cancelled = false;
    setLoaded(false);
    setItems([]);
    setSelected(undefined);
    api
      .queryAudit(filter, { limit: PAGE })
      .then((page) => {
        if (cancelled) return;
        setItems(page.items);
        setCursor(page.nextCursor);
        setError(undefined);
      })
      .catch((err: unknown) => !cancelled && setError(describeError(err)))
      .finally(() => !cancelled && setLoaded(true));
    return () => {
      cancelled = true;
    };
    // filterKey stands for filter.
  }, [api, filterKey]);

  useEffect(() => {
    if (!live) {
      setLiveState('off');
      return undefined;
    }
    let stop: (() => void) | undefined;
    let retry: number | undefined;
    const subscribe = (): void => {
      setLiveState('on');
      stop = api.streamAudit(
        filter,
        (event) => {
          setItems((list) => (list.some((e) => e.id === event.id) ? list : [event, ...list]));
          setPrepended((n) => n + 1);
        },
        () => {
          setLiveState('reconnecting');
          retry = window.setTimeout(subscribe, 2000);
        },
      );
    };
    subscribe();
    return () => {
      stop?.();
      window.clearTimeout(retry);
    };
  }, [api, filterKey, live]);

  const loadMore = useCallback(() => {
    if (!cursor || loadingMore.current) return;
    loadingMore.current = true;
    api
      .queryAudit(filter, { limit: PAGE, cursor })
      .then((page) => {
        setItems((list) => [...list, ...page.items.filter((e) => !list.some((x) => x.id === e.id))]);
        setCursor(page.nextCursor);
      })
      .catch((err: unknown) => setError(describeError(err)))
      .finally(() => {
        loadingMore.current = false;
      });
  }, [api, cursor, filterKey]);

  function handleFilterSubmit(event: FormEvent<HTMLFormElement>): void {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const next = new URLSearchParams();
    for (const key of AUDIT_FILTER_KEYS) {
      const value = String(data.get(key) ?? '').trim();
      if (value) next.set(key, value);
    }
    onParamsChange(next);
  }

  async function handleExport(format: 'jsonl' | 'csv'): Promise<void> {
    try {
      const file = await api.exportAudit(filter, format);
      const url = URL.createObjectURL(new Blob([file.body], { type: file.mimeType }));
      const a = document.createElement('a');
      a.href = url;
      a.download = file.fileName;
      document.body.append(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setError(describeError(err));
    }
  }

  return (
    <section aria-labelledby="audit-title" className="audit-screen">
      <div className="screen-head">
        <h1 id="audit-title">Audit</h1>
        <div className="toolbar">
          <label className="check">
            <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} /> Live
          </label>
          <span className={`live-dot live-${liveState}`} aria-live="polite">
            {liveState === 'on' ? 'following' : liveState === 'reconnecting' ? 'reconnecting…' : 'paused'}
          </span>
          <button type="button" className="button small" onClick={() => void handleExport('jsonl')}>
            Export JSONL
          </button>
          <button type="button" className="button small" onClick={() => void handleExport('csv')}>
            Export CSV
          </button>
        </div>
      </div>
      <form className="filters" aria-label="Audit filters" onSubmit={handleFilterSubmit} key={filterKey}>
        <TimeRangeFields since={filter.since} until={filter.until} />
        <label>
          Server
          <input name="server" defaultValue={filter.server ?? ''} placeholder="any" />
        </label>
        <label>
          Client
          <input name="client" defaultValue={filter.client ?? ''} placeholder="any" />
        </label>
        <label>
          Tool
          <input name="tool" defaultValue={filter.tool ?? ''} placeholder="any" />
        </label>
        <label>
          Outcome
          <select name="outcome" defaultValue={filter.outcome ?? ''}>
            <option value="">any</option>
            {AUDIT_OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <label>
          Text
          <input name="q" type="search" defaultValue={filter.q ?? ''} placeholder="in any value" />
        </label>
        <button type="submit" className="button small primary">
          Apply
        </button>
        <button type="button" className="button small" onClick={() => onParamsChange(new URLSearchParams())}>
          Clear
        </button>
      </form>
      {stats.data && stats.data.length > 0 && (
        <div className="stats" aria-label="Per-server figures">
          {stats.data.map((s) => (
            <div key={s.server} className="stat" data-server={s.server} data-calls={s.calls} data-errors={s.errors}>
              <strong>{s.server}</strong> {plural(s.calls, 'call')} · <span className={s.errors > 0 ? 'chart-error-count' : ''}>{plural(s.errors, 'error')}</span>
              {s.p50Ms !== null ? ` · p50 ${Math.round(s.p50Ms)} ms` : ''}
              {s.p95Ms !== null ? ` · p95 ${Math.round(s.p95Ms)} ms` : ''}
            </div>
          ))}
        </div>
      )}
      {chart && <AuditChart data={chart} truncated={chartSample.data?.nextCursor != null} />}
      <ErrorText message={error} />
      <div className="audit-body">
        <div className="audit-list" style={{ '--audit-columns': columns } as CSSProperties}>
          <div className="audit-row audit-header" aria-hidden="true">
            <span>Time</span>
            <span>Server</span>
            <span>What</span>
            <span>Client</span>
            <span>Outcome</span>
            <span className="duration-cell">ms</span>
          </div>
          {loaded && items.length === 0 ? (
            <EmptyState title="Nothing on the timeline">
              <p>
                {Object.keys(filter).length > 0
                  ? 'No event matches these filters. Clear them to see everything.'
                  : 'Every request through the gateway shows up here as it happens. Connect a client and call a tool.'}
              </p>
            </EmptyState>
          ) : (
            <VirtualList
              items={items}
              rowHeight={ROW_HEIGHT}
              label="Audit events, newest first"
              prepended={prepended}
              itemKey={(e) => e.id}
              onEndReached={loadMore}
              renderRow={(event) => (
                <button
                  type="button"
                  className={`audit-row${selected?.id === event.id ? ' selected' : ''}`}
                  data-outcome={event.outcome ?? ''}
                  aria-pressed={selected?.id === event.id}
                  onClick={() => setSelected(event)}
                >
                  <span className="mono">{timeOf(event.time)}</span>
                  <span>{event.server ?? '—'}</span>
                  <span className="ellipsis">{whatOf(event)}</span>
                  <span className="ellipsis" title={clientOf(event)}>
                    {clientOf(event)}
                  </span>
                  <span className="outcome-cell">{event.kind === 'lifecycle' ? <span className="badge">{event.kind}</span> : <OutcomeBadge outcome={event.outcome} />}</span>
                  <span className="mono duration-cell">{event.durationMs !== undefined ? Math.round(event.durationMs) : ''}</span>
                </button>
              )}
            />
          )}
        </div>
        {selected && (
          <aside className="panel audit-detail" aria-label="Event detail">
            <div className="detail-head">
              <h2>{whatOf(selected) || selected.kind}</h2>
              <button type="button" className="button small" onClick={() => setSelected(undefined)}>
                Close
              </button>
            </div>
            <dl className="facts">
              <dt>Time</dt>
              <dd>{new Date(selected.time).toISOString()}</dd>
              <dt>Outcome</dt>
              <dd>
                <OutcomeBadge outcome={selected.outcome} />
              </dd>
              {selected.durationMs !== undefined && (
                <>
                  <dt>Duration</dt>
                  <dd>{selected.durationMs} ms</dd>
                </>
              )}
              {selected.error && (
                <>
                  <dt>Error</dt>
                  <dd>{selected.error.message}</dd>
                </>
              )}
            </dl>
            <pre className="json">{JSON.stringify(selected, null, 2)}</pre>
          </aside>
        )}
      </div>
    </section>
  );
}
