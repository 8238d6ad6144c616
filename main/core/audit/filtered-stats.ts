/**
 * Per-server figures over the events a filter matches (the Audit screen's filters, a server
 * card's last hour), computed from the in-memory index: calls, outcomes and latency come from
 * its columns, so only the `text` filter and each server's latest failure read lines from disk.
 */
import type { AuditEvent } from './audit-event.js';
import { AuditIndex, type RowLocation } from './audit-index.js';
import { compileRowFilter, lineTextMatcher, type AuditFilter } from './audit-query.js';
import { AuditStats, type ServerStats } from './audit-stats.js';

/** How the figures read stored lines: the lines at `rows` (undefined where one is gone), and how to parse one. */
export interface LineSource {
  read(rows: readonly RowLocation[]): Promise<(string | undefined)[]>;
  parse(line: string): AuditEvent;
}

/** Rows read from disk at once for the `text` filter. */
const TEXT_BATCH = 4096;

/**
 * {@link ServerStats} of the request events matching `filter`, one entry per server that has
 * some, sorted by name, each with its latest failed call as `lastError`. Lifecycle counts are
 * left empty: the index does not hold the lifecycle event's name.
 */
export async function filteredStats(index: AuditIndex, filter: AuditFilter, lines: LineSource): Promise<ServerStats[]> {
  const match = compileRowFilter(index, filter);
  const requestKind = AuditIndex.kindId('request');
  let rows: number[] = [];
  for (let row = 0; row < index.size; row++) {
    if (index.kind[row] === requestKind && index.server[row] !== 0 && match(row)) rows.push(row);
  }
  if (filter.text !== undefined) rows = await withText(index, rows, filter.text, lines);

  const stats = new AuditStats();
  const lastFailure = new Map<number, number>();
  const okId = AuditIndex.outcomeId('ok');
  for (const row of rows) {
    const outcome = AuditIndex.outcomeName(index.outcome[row]!);
    const duration = index.duration[row]!;
    stats.observe({
      kind: 'request',
      server: index.servers.values[index.server[row]!],
      outcome,
      durationMs: Number.isNaN(duration) ? undefined : duration,
    });
    if (index.outcome[row] !== okId && index.outcome[row] !== 0) lastFailure.set(index.server[row]!, row);
  }

  const failures = [...lastFailure.values()];
  const failed = await lines.read(failures.map((row) => index.location(row)));
  const lastErrors = new Map<string, NonNullable<ServerStats['lastError']>>();
  failed.forEach((line, i) => {
    if (line === undefined) return;
    const event = lines.parse(line);
    if (!event.server) return;
    const message = event.error?.message ?? previewText(event.preview) ?? `${event.method ?? 'call'} ended ${event.outcome ?? 'in error'}`;
    lastErrors.set(event.server, { time: index.time[failures[i]!]!, message, ...(event.outcome ? { outcome: event.outcome } : {}) });
  });
  return stats.snapshot().map((s) => {
    const lastError = lastErrors.get(s.server);
    return lastError ? { ...s, lastError } : s;
  });
}

/** The text of a stored result preview (the JSON of its content blocks, maybe cut short), for a tool error's message. */
function previewText(preview: string | undefined): string | undefined {
  if (preview === undefined) return undefined;
  try {
    const blocks = JSON.parse(preview) as unknown;
    if (Array.isArray(blocks)) {
      const text = blocks.map((b: { text?: unknown }) => (typeof b?.text === 'string' ? b.text : '')).filter(Boolean).join(' ');
      if (text) return text;
    }
  } catch {
    // Cut at the store's preview size, or not JSON: the text as stored.
  }
  return preview;
}

async function withText(index: AuditIndex, rows: number[], text: string, lines: LineSource): Promise<number[]> {
  const matches = lineTextMatcher(text);
  const kept: number[] = [];
  for (let start = 0; start < rows.length; start += TEXT_BATCH) {
    const batch = rows.slice(start, start + TEXT_BATCH);
    const read = await lines.read(batch.map((row) => index.location(row)));
    read.forEach((line, i) => {
      if (line !== undefined && matches(line, lines.parse)) kept.push(batch[i]!);
    });
  }
  return kept;
}
