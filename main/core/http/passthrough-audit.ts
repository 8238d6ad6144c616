import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AuditOutcome, AuditRecordInput } from '../audit/audit-event.js';
import { outcomeOf } from '../routing/audit-tap.js';
import { idKey } from './json-rpc-filter.js';
import { SseParser } from './sse-stream.js';

/** Where a pass-through exchange's audit events go, with way, server and client already set. */
export type PassthroughAuditSink = (event: AuditRecordInput) => void;

/** The messages of one client POST, told when the POST is over. */
export interface PostedBody {
  /**
   * The POST is over: `backendStatus` is what the backend answered it (absent when the backend
   * was never asked, or never answered). With `failed` (legacy SSE, whose answers come on the
   * stream), its requests still open are recorded now as failed, with the status the client got.
   */
  settle(backendStatus?: number, failed?: { clientStatus: number; message: string }): void;
}

interface Posted {
  settled: boolean;
  status?: number;
  /** Events waiting for the POST's status: its notifications, and answers that came first. */
  held: AuditRecordInput[];
}

interface OpenRequest {
  method: string;
  params: Record<string, unknown> | undefined;
  time: number;
  bytesIn: number;
  posted: Posted;
}

/** JSON answers larger than this are not parsed for the audit (the exchange is still recorded). */
const MAX_JSON_BYTES = 1024 * 1024;

/**
 * Records what a pass-through carries, from the bytes the client actually gets on `res`: one
 * event per request of each body handed to {@link expect} (matched by id to its answer, in a
 * JSON body or on an SSE stream, whichever framing the backend chose), and one per
 * notification or server-to-client request either way. Each event carries the backend's HTTP
 * status for the POST that carried it. Reading what the client gets covers the gateway's own
 * answers too (a filtered call, an unreachable backend, a timeout), so no path goes unrecorded.
 *
 * For streamable HTTP, `res` is the POST's response; for legacy SSE, it is the GET stream, where
 * the answers to every later POST arrive.
 */
export class PassthroughAudit {
  readonly #res: ServerResponse;
  readonly #sink: PassthroughAuditSink;
  readonly #open = new Map<string, OpenRequest>();
  readonly #unsettled = new Set<Posted>();
  #sessionId: string | undefined;
  #contentType: string | undefined;
  #sse: SseParser | undefined;
  #json: Buffer[] | undefined = [];
  #jsonBytes = 0;
  #bytesOut = 0;

  constructor(res: ServerResponse, sink: PassthroughAuditSink, sessionId?: string) {
    this.#res = res;
    this.#sink = sink;
    this.#sessionId = sessionId;
    this.#watch();
  }

  /** Registers the messages of a client's body (one message or a batch). */
  expect(body: unknown): PostedBody {
    const posted: Posted = { settled: false, held: [] };
    this.#unsettled.add(posted);
    for (const message of Array.isArray(body) ? body : body === undefined ? [] : [body]) {
      if (typeof message !== 'object' || message === null) continue;
      const { id, method, params } = message as { id?: unknown; method?: unknown; params?: Record<string, unknown> };
      if (typeof method !== 'string') continue;
      const bytesIn = Buffer.byteLength(JSON.stringify(message));
      if (typeof id === 'string' || typeof id === 'number') this.#open.set(idKey(id), { method, params, time: Date.now(), bytesIn, posted });
      else posted.held.push({ kind: 'notification', method, ...requestFields(method, params), bytesIn });
    }
    return {
      settle: (backendStatus, failed) => {
        if (posted.settled) return;
        if (backendStatus !== undefined) posted.status = backendStatus;
        this.#settle(posted);
        if (!failed) return;
        for (const [key, request] of this.#open) {
          if (request.posted !== posted) continue;
          this.#open.delete(key);
          const outcome = statusOutcome(failed.clientStatus, posted.status).outcome ?? 'rpc_error';
          this.#record({ ...this.#answered(request, 0), outcome, error: { code: failed.clientStatus, message: failed.message } });
        }
      },
    };
  }

  /** Records what waited for the POST's status, now with it. */
  #settle(posted: Posted): void {
    posted.settled = true;
    this.#unsettled.delete(posted);
    const status = posted.status !== undefined ? { httpStatus: posted.status } : {};
    for (const event of posted.held.splice(0)) this.#record({ ...event, ...status });
  }

  #record(event: AuditRecordInput): void {
    this.#sink({ ...event, ...(this.#sessionId ? { sessionId: this.#sessionId } : {}) });
  }

  /** A request's event, once its answer (or the lack of one) is known. */
  #answered(request: OpenRequest, bytesOut: number): AuditRecordInput {
    return {
      kind: 'request',
      method: request.method,
      ...requestFields(request.method, request.params),
      time: request.time,
      durationMs: Date.now() - request.time,
      bytesIn: request.bytesIn,
      bytesOut,
      ...(request.posted.status !== undefined ? { httpStatus: request.posted.status } : {}),
    };
  }

  #observe(message: unknown, size: number): void {
    if (typeof message !== 'object' || message === null) return;
    const m = message as { id?: string | number; method?: string; params?: Record<string, unknown>; error?: unknown };
    if (typeof m.method === 'string') {
      const kind = m.id === undefined ? 'notification' : 'server_request';
      this.#record({ kind, method: m.method, ...requestFields(m.method, m.params), bytesOut: size });
      return;
    }
    if (m.id === undefined || m.id === null) return;
    const request = this.#open.get(idKey(m.id));
    if (!request) return;
    this.#open.delete(idKey(m.id));
    const status = this.#res.statusCode;
    const failure = status >= 400 && m.error !== undefined ? statusOutcome(status, request.posted.status) : {};
    const event = { ...this.#answered(request, size), ...outcomeOf(message as never), ...failure };
    // An answer can overtake its POST's own response (legacy SSE): it waits for the status.
    if (request.posted.settled) this.#record(event);
    else request.posted.held.push(event);
  }

  /** Watches what is written to the client: status and headers as sent, then the body. */
  #watch(): void {
    const res = this.#res;
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    // `writeHead(status, headers)` bypasses `getHeader`: read the headers as they are sent.
    res.writeHead = ((...args: unknown[]) => {
      safely(() => this.#noteHeaders(args.find((a): a is OutgoingHttpHeaders => typeof a === 'object' && a !== null)));
      return writeHead(...args);
    }) as ServerResponse['writeHead'];
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.write = ((...args: unknown[]) => {
      safely(() => this.#feed(args[0]));
      return write(...args);
    }) as ServerResponse['write'];
    res.end = ((...args: unknown[]) => {
      safely(() => this.#feed(args[0]));
      return end(...args);
    }) as ServerResponse['end'];
    res.once('close', () => safely(() => this.#finish()));
  }

  #noteHeaders(headers: OutgoingHttpHeaders | undefined): void {
    const entries = Array.isArray(headers) ? pairs(headers as unknown as string[]) : Object.entries(headers ?? {});
    for (const [name, value] of entries) {
      const lower = name.toLowerCase();
      if (lower === 'content-type') this.#contentType = String(value);
      if (lower === 'mcp-session-id' && this.#sessionId === undefined) this.#sessionId = String(value);
    }
  }

  #feed(chunk: unknown): void {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    this.#bytesOut += bytes.length;
    const type = this.#contentType ?? String(this.#res.getHeader('content-type') ?? '');
    if (this.#sse === undefined && this.#json !== undefined && type.includes('text/event-stream')) {
      this.#sse = new SseParser();
      this.#json = undefined;
    }
    if (this.#sse) {
      for (const segment of this.#sse.push(bytes)) {
        if (segment.kind !== 'event' || (segment.event.event !== undefined && segment.event.event !== 'message')) continue;
        for (const message of parseAll(segment.event.data)) this.#observe(message, Buffer.byteLength(segment.event.data));
      }
    } else if (this.#json && this.#jsonBytes + bytes.length <= MAX_JSON_BYTES) {
      this.#json.push(bytes);
      this.#jsonBytes += bytes.length;
    } else {
      this.#json = undefined;
    }
  }

  #finish(): void {
    const res = this.#res;
    if (this.#json) for (const message of parseAll(Buffer.concat(this.#json).toString('utf8'))) this.#observe(message, this.#jsonBytes);
    for (const posted of [...this.#unsettled]) this.#settle(posted);
    // Requests that got no answer: the stream broke, or the client left first.
    for (const request of this.#open.values()) {
      const failure = statusOutcome(res.statusCode, request.posted.status);
      const outcome: AuditOutcome = failure.outcome ?? (res.statusCode === 202 ? 'ok' : 'backend_unreachable');
      this.#record({
        ...this.#answered(request, this.#bytesOut),
        outcome,
        ...(outcome === 'ok' ? {} : { error: { message: `no answer (HTTP ${res.statusCode})` } }),
      });
    }
    this.#open.clear();
  }
}

/**
 * How an exchange failed, from the HTTP statuses: the backend's own (an HTTP error it answered)
 * first, then the one the gateway chose for the client (504: no answer in time; 502, 503: the
 * backend could not be reached or was closed).
 */
function statusOutcome(clientStatus: number, backendStatus: number | undefined): { outcome?: AuditOutcome } {
  if (backendStatus !== undefined && backendStatus >= 300) return { outcome: 'backend_http_error' };
  if (clientStatus === 504) return { outcome: 'timeout' };
  if (clientStatus === 502 || clientStatus === 503) return { outcome: 'backend_unreachable' };
  return {};
}

function requestFields(method: string, params: Record<string, unknown> | undefined): Pick<AuditRecordInput, 'target' | 'args'> {
  if (!params) return {};
  if (method === 'tools/call' || method === 'prompts/get') {
    return {
      ...(typeof params.name === 'string' ? { target: params.name } : {}),
      ...(params.arguments !== undefined ? { args: params.arguments } : {}),
    };
  }
  const { _meta: _ignored, ...rest } = params;
  return {
    ...(typeof params.uri === 'string' ? { target: params.uri } : {}),
    ...(Object.keys(rest).length > 0 ? { args: rest } : {}),
  };
}

function pairs(flat: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

function parseAll(text: string): unknown[] {
  if (text.trim() === '') return [];
  try {
    const value = JSON.parse(text) as unknown;
    return Array.isArray(value) ? value : [value];
  } catch {
    return [];
  }
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // The audit never stands in the way of a response.
  }
}
