import { useEffect, useState, type ReactElement } from 'react';
import type { ServerStats, ServerView } from '../../../../shared/control-api.js';
import { CopyButton } from '../../components/copy-button.js';
import { formatSpan } from './time-span.js';

/** The time now, again every `everyMs`, so "up for" and "ago" move without a new server list. */
export function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), everyMs);
    return () => window.clearInterval(timer);
  }, [everyMs]);
  return now;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export interface ServerFactsProps {
  server: ServerView;
  /** The server's figures over the last hour (absent: no call in that hour, or the audit is off). */
  hour: ServerStats | undefined;
  /** Whether the last-hour figures have loaded (so "no calls" is not said while they load). */
  hourLoaded: boolean;
  gatewayUrl: string;
  now: number;
}

/** What a server is and how it does: command line or URL, uptime, the last hour's calls and errors, the last error, its endpoint. */
export function ServerFacts({ server, hour, hourLoaded, gatewayUrl, now }: ServerFactsProps): ReactElement {
  const endpoint = `${gatewayUrl}/servers/${encodeURIComponent(server.name)}/mcp`;
  const up = server.status === 'running' || server.status === 'degraded';
  const lastError = server.status === 'error' && server.lastError ? { message: server.lastError, time: server.since } : hour?.lastError;
  return (
    <dl className="server-facts">
      {server.target && (
        <>
          <dt>{server.transport === 'stdio' ? 'Runs' : 'URL'}</dt>
          <dd>
            <code className="server-target" data-testid="server-target">
              {server.target}
            </code>
          </dd>
        </>
      )}
      <dt>{up ? 'Up for' : 'Since'}</dt>
      <dd data-testid="server-uptime">{up ? formatSpan(now - server.since) : `${server.status} for ${formatSpan(now - server.since)}`}</dd>
      <dt>Last hour</dt>
      <dd data-testid="server-hour">
        {hour ? (
          <>
            {plural(hour.calls, 'call')} · <span className={hour.errors > 0 ? 'error-text inline' : undefined}>{plural(hour.errors, 'error')}</span>
          </>
        ) : hourLoaded ? (
          'no calls'
        ) : (
          '…'
        )}
      </dd>
      {lastError && (
        <>
          <dt>Last error</dt>
          <dd className="error-text inline" data-testid="server-last-error">
            {formatSpan(now - lastError.time)} ago: {lastError.message}
          </dd>
        </>
      )}
      <dt>Endpoint</dt>
      <dd className="url-row">
        <code className="url" data-testid="server-endpoint">
          {endpoint}
        </code>
        <CopyButton text={endpoint} what={`${server.name} endpoint`} />
      </dd>
    </dl>
  );
}
