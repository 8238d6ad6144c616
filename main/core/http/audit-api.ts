import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { IDisposable } from '../base/disposable.js';
import type { AuditEvent } from '../audit/audit-event.js';
import { EXPORT_FORMATS, exportFileName, type ExportFormat } from '../audit/audit-export.js';
import { eventMatches, paramsFromSearch, parseAuditQuery, type AuditFilter, type AuditPage, type AuditQuery } from '../audit/audit-query.js';
import type { ServerStats } from '../audit/audit-stats.js';
import { json, problem } from './admin-api.js';
import { serializeSseEvent } from './sse-stream.js';

/** What the audit endpoints read from: implemented by `AuditStore`. */
export interface AuditSource {
  query(query: AuditQuery): Promise<AuditPage>;
  subscribe(listener: (event: AuditEvent) => void): IDisposable;
  export(filter: AuditFilter, format: ExportFormat): AsyncIterable<string>;
  stats(): ServerStats[];
  /** The figures over the request events a filter matches, with each server's latest failure. */
  statsFor(filter: AuditFilter): Promise<ServerStats[]>;
  metrics(): string;
}

/** Options of {@link handleAuditRequest}. */
export interface AuditApiOptions {
  now?: () => number;
  /** Interval of `: heartbeat` comments on the live stream (default 15 s). */
  heartbeatMs?: number;
  /** A live-stream client this far behind (buffered bytes) is disconnected; it can reconnect (default 4 MiB). */
  maxStreamBacklogBytes?: number;
}

const AUDIT_PATHS = new Set(['/admin/audit', '/admin/audit/stream', '/admin/audit/export', '/admin/stats', '/metrics']);

/**
 * The audit endpoints. Returns `false` (and writes nothing) when `url`'s path is not one of
 * them; otherwise answers and returns `true` (or a promise of it, settled when the answer is
 * complete). Auth, Host and Origin are checked by the caller.
 *
 * - `GET /admin/audit?since=&until=&server=&client=&method=&tool=&outcome=&kind=&q=&limit=&cursor=`
 *   → `{ items, nextCursor }`, newest first; 400 `{ error }` on a bad parameter.
 * - `GET /admin/audit/stream` (same filters but `limit`/`cursor`): server-sent events, one
 *   `event: audit` per new entry, `: heartbeat` comments between.
 * - `GET /admin/audit/export?format=jsonl|csv` (same filters): streamed download, oldest first.
 * - `GET /admin/stats` → `{ servers: ServerStats[] }` since the audit opened; with filters
 *   (`/admin/stats?since=1h&server=x`, as `/admin/audit` takes them but `limit`/`cursor`), over
 *   the calls they match, each server with its `lastError`. `GET /metrics` → Prometheus text.
 */
export function handleAuditRequest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  audit: AuditSource,
  opts: Readonly<AuditApiOptions> = {},
): boolean | Promise<boolean> {
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  if (!AUDIT_PATHS.has(path)) return false;
  const method = req.method ?? 'GET';
  if (method !== 'GET') {
    res.setHeader('allow', 'GET');
    problem(res, 405, `${method} is not allowed on ${path}`);
    return true;
  }
  const now = (opts.now ?? Date.now)();

  if (path === '/admin/stats') {
    if ([...url.searchParams.keys()].length === 0) {
      json(res, 200, { servers: audit.stats() });
      return true;
    }
    const parsed = parseAuditQuery(paramsFromSearch(url.searchParams), now);
    if (!parsed.ok || parsed.query.limit !== undefined || parsed.query.cursor !== undefined) {
      problem(res, 400, `bad stats query: ${parsed.ok ? '"limit" and "cursor" apply to /admin/audit only' : parsed.message}`);
      return true;
    }
    return audit.statsFor(parsed.query).then((servers) => {
      json(res, 200, { servers });
      return true;
    });
  }
  if (path === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' });
    res.end(audit.metrics());
    return true;
  }
  if (path === '/admin/audit') {
    const parsed = parseAuditQuery(paramsFromSearch(url.searchParams), now);
    if (!parsed.ok) {
      problem(res, 400, `bad audit query: ${parsed.message}`);
      return true;
    }
    return audit.query(parsed.query).then((page) => {
      json(res, 200, page);
      return true;
    });
  }

  // The stream and the export take filters only.
  for (const name of ['limit', 'cursor']) {
    if (url.searchParams.has(name)) {
      problem(res, 400, `bad audit query: "${name}" applies to /admin/audit only`);
      return true;
    }
  }
  if (path === '/admin/audit/stream') {
    const parsed = parseAuditQuery(paramsFromSearch(url.searchParams), now);
    if (!parsed.ok) {
      problem(res, 400, `bad audit query: ${parsed.message}`);
      return true;
    }
    streamEvents(res, audit, parsed.query, opts);
    return true;
  }

  const format = url.searchParams.get('format') ?? 'jsonl';
  if (!(EXPORT_FORMATS as readonly string[]).includes(format) || url.searchParams.getAll('format').length > 1) {
    problem(res, 400, `bad audit query: "format" must be one of ${EXPORT_FORMATS.join(', ')}`);
    return true;
  }
  const parsed = parseAuditQuery(paramsFromSearch(url.searchParams, ['format']), now);
  if (!parsed.ok) {
    problem(res, 400, `bad audit query: ${parsed.message}`);
    return true;
  }
  return exportEvents(res, audit, parsed.query, format as ExportFormat, now);
}

async function exportEvents(res: ServerResponse, audit: AuditSource, filter: AuditFilter, format: ExportFormat, now: number): Promise<boolean> {
  res.writeHead(200, {
    'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    'content-disposition': `attachment; filename="${exportFileName(format, now)}"`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  try {
    // pipeline() honours backpressure and stops reading the segments if the client goes away.
    await pipeline(Readable.from(audit.export(filter, format)), res);
  } catch {
    // The client hung up, or reading failed after the headers went out: all we can do is stop.
    res.destroy();
  }
  return true;
}

function streamEvents(res: ServerResponse, audit: AuditSource, filter: AuditFilter, opts: Readonly<AuditApiOptions>): void {
  const maxBacklog = opts.maxStreamBacklogBytes ?? 4 * 1024 * 1024;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': gatehouse audit stream\n\n');
  let subscription: IDisposable | undefined;
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), opts.heartbeatMs ?? 15_000);
  const cleanup = (): void => {
    clearInterval(heartbeat);
    subscription?.dispose();
    subscription = undefined;
  };
  subscription = audit.subscribe((event) => {
    if (!eventMatches(event, filter)) return;
    // A client that does not read must not make the gateway buffer without bound.
    if (res.writableLength > maxBacklog) {
      cleanup();
      res.destroy();
      return;
    }
    res.write(serializeSseEvent({ event: 'audit', id: event.id, data: JSON.stringify(event) }));
  });
  // The response's 'close' is the client going away (or the stream ending); the request's own
  // 'close' can come earlier, as soon as its (empty) body has been read.
  res.once('close', cleanup);
}
