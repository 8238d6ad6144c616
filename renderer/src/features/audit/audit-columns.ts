/**
 * The widths of the timeline's columns, from what the rows hold. The list draws only the rows
 * in view, each its own grid, so the columns cannot size themselves to their content: the
 * longest server, client and outcome among the loaded rows set them instead, and "What" takes
 * the rest. A client name is then cut only when the row has no room left for it. Pure.
 */
import type { AuditEvent } from '../../../../shared/control-api.js';

/** The token a client used and the name it gave (`laptop · claude-code`). */
export function clientOf(event: AuditEvent): string {
  const { tokenName, name } = event.client ?? {};
  return [tokenName, name !== tokenName ? name : undefined].filter(Boolean).join(' · ');
}

/** `grid-template-columns` for the header and every row: time, server, what, client, outcome, ms. */
export function auditColumns(events: readonly AuditEvent[]): string {
  let server = 6;
  let client = 6;
  let outcome = 2;
  for (const e of events) {
    server = Math.max(server, (e.server ?? '').length);
    client = Math.max(client, clientOf(e).length);
    outcome = Math.max(outcome, (e.kind === 'lifecycle' ? e.kind : (e.outcome ?? '')).length);
  }
  // About 0.6rem a character of the UI font; rem, not ch, so the header's smaller font lines up with the rows.
  const width = (chars: number): string => `${(chars * 0.6 + 0.5).toFixed(1)}rem`;
  // Each column may shrink to its minimum when the list is narrow (the detail panel is open).
  return [
    '11rem',
    `minmax(4rem, ${width(server)})`,
    'minmax(10rem, 1fr)',
    `minmax(6rem, ${width(Math.min(client, 46))})`,
    `calc(${width(outcome)} + 1rem)`,
    '3.5rem',
  ].join(' ');
}
