/**
 * Export formats. Both work on batches of stored lines and yield text chunks, so an export of
 * any size streams with bounded memory.
 */
import type { AuditEvent } from './audit-event.js';
import { eventJson, splitStoredLine } from './segment-format.js';

export const EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * CSV columns: nested fields flattened with dots (`client.name`, `error.code`), `time` as ISO
 * 8601 plus the raw milliseconds, `args` as JSON text.
 */
export const CSV_COLUMNS: readonly string[] = [
  'time',
  'timeMs',
  'id',
  'kind',
  'server',
  'method',
  'target',
  'outcome',
  'durationMs',
  'error.code',
  'error.message',
  'httpStatus',
  'bytesIn',
  'bytesOut',
  'way',
  'sessionId',
  'client.tokenName',
  'client.name',
  'client.version',
  'client.ip',
  'client.userAgent',
  'args',
  'preview',
  'event',
  'exitCode',
  'signal',
];

/**
 * One event as a CSV row, in {@link CSV_COLUMNS} order. `argsJson` is the arguments' JSON text
 * when the caller already has it.
 */
export function csvRow(e: AuditEvent, argsJson?: string): (string | number)[] {
  const text = (v: unknown): string | number => (v === undefined || v === null ? '' : typeof v === 'number' ? v : String(v));
  return [
    new Date(e.time).toISOString(),
    e.time,
    e.id,
    e.kind,
    text(e.server),
    text(e.method),
    text(e.target),
    text(e.outcome),
    text(e.durationMs),
    text(e.error?.code),
    text(e.error?.message),
    text(e.httpStatus),
    text(e.bytesIn),
    text(e.bytesOut),
    text(e.way),
    text(e.sessionId),
    text(e.client?.tokenName),
    text(e.client?.name),
    text(e.client?.version),
    text(e.client?.ip),
    text(e.client?.userAgent),
    argsCell(e.args, argsJson),
    text(e.preview),
    text(e.event),
    text(e.exitCode),
    text(e.signal),
  ];
}

function argsCell(args: unknown, argsJson: string | undefined): string {
  if (argsJson !== undefined) {
    // A JSON string (cut arguments) is shown as its text, like any other string cell.
    return argsJson.startsWith('"') ? (JSON.parse(argsJson) as string) : argsJson;
  }
  return args === undefined ? '' : typeof args === 'string' ? args : JSON.stringify(args);
}

/** JSON Lines: each event's own JSON (the chain fields `prev` and `h` left out), one per line. */
export async function* exportJsonl(batches: AsyncIterable<string[]>): AsyncGenerator<string> {
  for await (const lines of batches) {
    if (lines.length === 0) continue;
    let chunk = '';
    for (const line of lines) chunk += eventJson(line) + '\n';
    yield chunk;
  }
}

/**
 * CSV (RFC 4180: CRLF line ends, a field quoted when it holds a quote, comma, CR or LF, quotes
 * doubled) with a header row. A text cell that a spreadsheet would run as a formula (`=`, `+`,
 * `-`, `@`, tab or CR first) gets a `'` in front: arguments come from a model and must not
 * become code in the user's spreadsheet.
 *
 * Written by hand rather than with csv-stringify: that library managed about 60,000 rows of
 * these 26 columns per second here, below the 100,000 events/s the export must reach.
 */
export async function* exportCsv(batches: AsyncIterable<string[]>): AsyncGenerator<string> {
  yield csvLine(CSV_COLUMNS);
  for await (const lines of batches) {
    if (lines.length === 0) continue;
    const rows: string[] = new Array(lines.length);
    for (let i = 0; i < lines.length; i++) {
      const { event, argsJson } = splitStoredLine(lines[i]!);
      rows[i] = csvLine(csvRow(event, argsJson));
    }
    yield rows.join('');
  }
}

/** One CSV record with its CRLF. */
export function csvLine(fields: readonly (string | number)[]): string {
  // Array join: several times faster here than growing a string field by field.
  const cells = new Array<string>(fields.length);
  for (let i = 0; i < fields.length; i++) cells[i] = csvField(fields[i]!);
  return cells.join(',') + '\r\n';
}

/** One CSV field: numbers as they are, text formula-escaped and quoted when needed. */
export function csvField(value: string | number): string {
  if (typeof value === 'number') return String(value);
  if (value.length === 0) return '';
  const first = value.charCodeAt(0);
  // = + - @ TAB CR
  const text = first === 61 || first === 43 || first === 45 || first === 64 || first === 9 || first === 13 ? `'${value}` : value;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // " , LF CR
    if (c === 34 || c === 44 || c === 10 || c === 13) return `"${text.replaceAll('"', '""')}"`;
  }
  return text;
}

/** The download name for an export made at `now`, e.g. `gatehouse-audit-2026-11-21.csv`. */
export function exportFileName(format: ExportFormat, now: number): string {
  return `gatehouse-audit-${new Date(now).toISOString().slice(0, 10)}.${format}`;
}
