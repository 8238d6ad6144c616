import type { ReactElement } from 'react';

/** A server status as a coloured pill; the colour is never the only cue (the word is there). */
export function StatusBadge({ status }: { status: string }): ReactElement {
  return (
    <span className={`badge status-${status}`} data-status={status}>
      {status}
    </span>
  );
}

/** An audit outcome: network failures, backend errors and gateway refusals get different colours. */
export function OutcomeBadge({ outcome }: { outcome: string | undefined }): ReactElement {
  const value = outcome ?? '—';
  const group =
    outcome === undefined
      ? 'none'
      : outcome === 'ok'
        ? 'ok'
        : outcome === 'timeout' || outcome.startsWith('backend_')
          ? 'network'
          : outcome === 'denied' || outcome === 'filtered' || outcome === 'rate_limited'
            ? 'refused'
            : 'error';
  return <span className={`badge outcome-${group}`}>{value}</span>;
}
