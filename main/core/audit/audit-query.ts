/**
 * Audit filters: their parsing (from a query string or CLI flags), their evaluation over the
 * in-memory index, and the opaque pagination cursor.
 */
import { z } from 'zod';
import { parseTimeBound } from '../../../shared/time-bound.js';
import { AUDIT_KINDS, AUDIT_OUTCOMES, type AuditEvent, type AuditKind, type AuditOutcome } from './audit-event.js';
import { AuditIndex, type RowLocation } from './audit-index.js';

/** Which events to return. Lists mean "any of"; name filters accept `*` and `?` wildcards. */
export interface AuditFilter {
  /** Earliest `time`, inclusive (ms). */
  since?: number;
  /** Latest `time`, exclusive (ms). */
  until?: number;
  server?: string[];
  /** Token name or client name (from `initialize`). */
  client?: string[];
  method?: string[];
  /** The tool, prompt or resource named (`target`). */
  tool?: string[];
  outcome?: AuditOutcome[];
  kind?: AuditKind[];
  /** Case-insensitive substring of any value of the event (keys and hashes are not searched). */
  text?: string;
}

/** A page request: filters plus `limit` (default 50, at most 1000) and the `cursor` of the previous page. */
export interface AuditQuery extends AuditFilter {
  limit?: number;
  cursor?: string;
}

/** A page of events, newest first; `nextCursor` is null when there is nothing older to fetch. */
export interface AuditPage {
  items: AuditEvent[];
  nextCursor: string | null;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

/** Raw parameters: one string or several per name (repeated query parameters, repeated flags). */
export type RawParams = Record<string, string | readonly string[] | undefined>;

/** Turns a `URLSearchParams` into {@link RawParams}, keeping repeated names. */
export function paramsFromSearch(search: URLSearchParams, omit: readonly string[] = []): RawParams {
  const out: Record<string, string[]> = {};
  for (const [key, value] of search) {
    if (omit.includes(key)) continue;
    (out[key] ??= []).push(value);
  }
  return out;
}

/**
 * Validates raw parameters (`since`, `until`, `server`, `client`, `method`, `tool`, `outcome`,
 * `kind`, `q` or `text`, `limit`, `cursor`) into an {@link AuditQuery}. List parameters may repeat
 * and may hold comma-separated values. Unknown names are errors, so a typo is not silently
 * ignored. The message names the parameter and what is wrong.
 */
export function parseAuditQuery(raw: RawParams, now: number): { ok: true; query: AuditQuery } | { ok: false; message: string } {
  const bound = (name: string) =>
    z.string().transform((text, ctx) => {
      const time = parseTimeBound(text, now);
      if (time === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not a time (use e.g. 24h, 30m, 7d, 2026-11-21 or 2026-11-21T10:00:00Z)` });
        return z.NEVER;
      }
      return time;
    }).describe(name);
  const names = z.array(z.string().min(1).max(256)).min(1);
  const schema = z.strictObject({
    since: bound('since').optional(),
    until: bound('until').optional(),
    server: names.optional(),
    client: names.optional(),
    method: names.optional(),
    tool: names.optional(),
    outcome: z.array(z.enum(AUDIT_OUTCOMES)).min(1).optional(),
    kind: z.array(z.enum(AUDIT_KINDS)).min(1).optional(),
    q: z.string().min(1).max(1000).optional(),
    text: z.string().min(1).max(1000).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_LIMIT).optional(),
    cursor: z.string().refine((c) => decodeCursor(c) !== undefined, 'is not a cursor returned by this API').optional(),
  });
  const lists = new Set(['server', 'client', 'method', 'tool', 'outcome', 'kind']);
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const values = typeof value === 'string' ? [value] : [...value];
    if (lists.has(key)) input[key] = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
    else if (values.length > 1) return { ok: false, message: `"${key}" may be given only once` };
    else input[key] = values[0];
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const message = parsed.error.issues
      .map((issue) => {
        if (issue.code === 'unrecognized_keys') return `unknown parameter ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
        const name = issue.path.length > 0 ? String(issue.path[0]) : 'query';
        if (issue.code === 'invalid_value' && (name === 'outcome' || name === 'kind')) {
          const allowed = name === 'outcome' ? AUDIT_OUTCOMES : AUDIT_KINDS;
          return `"${name}" must be one of ${allowed.join(', ')}`;
        }
        return `"${name}": ${issue.message}`;
      })
      .join('; ');
    return { ok: false, message };
  }
  const { q, text, ...rest } = parsed.data;
  const query: AuditQuery = { ...rest };
  const needle = text ?? q;
  if (needle !== undefined) query.text = needle;
  return { ok: true, query };
}

// --- cursor ----------------------------------------------------------------------------------

/** The cursor that continues after (older than) the row at `location`. */
export function encodeCursor(location: Pick<RowLocation, 'seq' | 'offset'>): string {
  return Buffer.from(`v1:${location.seq}:${location.offset}`, 'utf8').toString('base64url');
}

/** The row location a cursor continues after, or `undefined` if it is not one of ours. */
export function decodeCursor(cursor: string): { seq: number; offset: number } | undefined {
  const match = /^v1:(\d{1,10}):(\d{1,12})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? { seq: Number(match[1]), offset: Number(match[2]) } : undefined;
}

// --- evaluation ------------------------------------------------------------------------------

/** A `*`/`?` wildcard pattern as a whole-string regular expression (nothing else is special). */
export function wildcardRegExp(pattern: string): RegExp {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`);
}

/** A predicate over index rows that checks every filter except `text`. */
export function compileRowFilter(index: AuditIndex, filter: AuditFilter): (row: number) => boolean {
  const mask = (table: AuditIndex['servers'], patterns: string[] | undefined): Uint8Array | undefined => {
    if (!patterns) return undefined;
    const regexes = patterns.map(wildcardRegExp);
    return table.mask((value) => regexes.some((r) => r.test(value)));
  };
  const server = mask(index.servers, filter.server);
  const method = mask(index.methods, filter.method);
  const target = mask(index.targets, filter.tool);
  const client = mask(index.clients, filter.client);
  const outcome = filter.outcome ? new Set(filter.outcome.map((o) => AuditIndex.outcomeId(o))) : undefined;
  const kind = filter.kind ? new Set(filter.kind.map((k) => AuditIndex.kindId(k))) : undefined;
  const since = filter.since ?? -Infinity;
  const until = filter.until ?? Infinity;
  return (row) => {
    const time = index.time[row]!;
    if (time < since || time >= until) return false;
    if (server && server[index.server[row]!] !== 1) return false;
    if (method && method[index.method[row]!] !== 1) return false;
    if (target && target[index.target[row]!] !== 1) return false;
    if (client && client[index.token[row]!] !== 1 && client[index.clientName[row]!] !== 1) return false;
    if (outcome && !outcome.has(index.outcome[row]!)) return false;
    if (kind && !kind.has(index.kind[row]!)) return false;
    return true;
  };
}

/**
 * A predicate over stored lines for the `text` filter: a fast case-insensitive search of the raw
 * JSON line first (with the text JSON-escaped, as it appears there), then, for the few lines
 * that pass, a check that the text is in a value rather than a key or a hash.
 */
export function lineTextMatcher(text: string): (line: string, parse: (line: string) => unknown) => boolean {
  const escaped = JSON.stringify(text).slice(1, -1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const raw = new RegExp(escaped, 'i');
  const needle = text.toLowerCase();
  return (line, parse) => raw.test(line) && eventContainsText(parse(line), needle);
}

/** Whether any value (not key) of `event`, at any depth, contains `needle` (already lower-case). */
export function eventContainsText(event: unknown, needle: string): boolean {
  if (typeof event === 'string') return event.toLowerCase().includes(needle);
  if (typeof event === 'number' || typeof event === 'boolean') return String(event).includes(needle);
  if (event === null || typeof event !== 'object') return false;
  const values = Array.isArray(event) ? event : Object.values(event);
  return values.some((value) => eventContainsText(value, needle));
}

/**
 * Whether one event passes `filter` (for live streams, where there is no index). Same rules as
 * {@link compileRowFilter} plus `text`.
 */
export function eventMatches(event: AuditEvent, filter: AuditFilter): boolean {
  const any = (patterns: string[] | undefined, ...values: (string | undefined)[]): boolean =>
    !patterns || patterns.some((p) => values.some((v) => v !== undefined && wildcardRegExp(p).test(v)));
  if (filter.since !== undefined && event.time < filter.since) return false;
  if (filter.until !== undefined && event.time >= filter.until) return false;
  if (!any(filter.server, event.server)) return false;
  if (!any(filter.method, event.method)) return false;
  if (!any(filter.tool, event.target)) return false;
  if (!any(filter.client, event.client?.tokenName, event.client?.name)) return false;
  if (filter.outcome && (event.outcome === undefined || !filter.outcome.includes(event.outcome))) return false;
  if (filter.kind && !filter.kind.includes(event.kind)) return false;
  if (filter.text !== undefined && !eventContainsText(event, filter.text.toLowerCase())) return false;
  return true;
}
