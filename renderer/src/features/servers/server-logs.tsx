import { useLayoutEffect, useRef, type ReactElement, type RefObject } from 'react';
import type { AuditEvent } from '../../../../shared/control-api.js';
import { useApi } from '../../hooks/use-api.js';
import { usePoll } from '../../hooks/use-poll.js';

const LIFECYCLE_LIMIT = 50;

function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour12: false });
}

/** What a lifecycle event says besides its name: exit code or signal, restart plan, error. */
export function lifecycleDetail(event: AuditEvent): string {
  const parts: string[] = [];
  if (event.event === 'exit') {
    if (event.signal) parts.push(`signal ${event.signal}`);
    else if (event.exitCode !== undefined && event.exitCode !== null) parts.push(`code ${event.exitCode}`);
  }
  if (event.preview) parts.push(event.preview);
  if (event.error?.message) parts.push(event.error.message);
  return parts.join(' · ');
}

/** Keeps a scrolled box pinned to its end while new content arrives, unless the user scrolled up. */
function useFollow<T extends HTMLElement>(content: unknown): RefObject<T | null> {
  const ref = useRef<T>(null);
  const pinned = useRef(true);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [content]);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const onScroll = (): void => {
      pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 8;
    };
    el.addEventListener('scroll', onScroll);
    return () => el.removeEventListener('scroll', onScroll);
  }, []);
  return ref;
}

/**
 * A server's log, following live while open: its lifecycle events from the audit timeline
 * (start, exit with code or signal, restart, error, …) beside its stderr tail. Stderr lines
 * carry no time, so the two are shown side by side rather than merged.
 */
export function ServerLogs({ name }: { name: string }): ReactElement {
  const api = useApi();
  const logs = usePoll(() => api.serverLogs(name), 2000);
  const lifecycle = usePoll(async () => (await api.queryAudit({ server: name, kind: 'lifecycle' }, { limit: LIFECYCLE_LIMIT })).items.reverse(), 2000);
  const lastEvent = lifecycle.data?.at(-1)?.id;
  const eventsRef = useFollow<HTMLOListElement>(lastEvent);
  const stderrRef = useFollow<HTMLPreElement>(logs.data?.length);

  return (
    <div className="logs" aria-label={`Logs of ${name}`} role="group">
      <section className="log-pane" aria-label={`Lifecycle events of ${name}`}>
        <h3>Lifecycle</h3>
        {lifecycle.error && <p className="error-text">{lifecycle.error}</p>}
        {lifecycle.data && lifecycle.data.length === 0 && <p className="hint">No lifecycle events yet.</p>}
        {lifecycle.data && lifecycle.data.length > 0 && (
          <ol className="lifecycle" role="log" ref={eventsRef}>
            {lifecycle.data.map((event) => (
              <li key={event.id} data-event={event.event ?? ''}>
                <time className="mono" dateTime={new Date(event.time).toISOString()}>
                  {clock(event.time)}
                </time>{' '}
                <span className={`badge lifecycle-${event.event ?? 'other'}`}>{event.event ?? 'lifecycle'}</span>{' '}
                <span className="lifecycle-detail">{lifecycleDetail(event)}</span>
              </li>
            ))}
          </ol>
        )}
      </section>
      <section className="log-pane" aria-label={`stderr of ${name}`}>
        <h3>stderr</h3>
        {logs.error && <p className="error-text">{logs.error}</p>}
        {logs.data && logs.data.length === 0 && <p className="hint">Nothing on stderr yet.</p>}
        {logs.data && logs.data.length > 0 && (
          <pre role="log" ref={stderrRef}>
            {logs.data.join('\n')}
          </pre>
        )}
      </section>
    </div>
  );
}
