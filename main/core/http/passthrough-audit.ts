import type { ServerResponse } from 'node:http';
import type { AuditOutcome, AuditRecordInput } from '../audit/audit-event.js';
import { outcomeOf } from '../routing/audit-tap.js';
import { SseParser } from './sse-stream.js';

/** Where a pass-through exchange's audit events go, with way, server and client already set. */
export type PassthroughAuditSink = (event: AuditRecordInput) => void;

interface OpenRequest {
  method: string;
  params: Record<string, unknown> | undefined;
}

/** JSON answers larger than this are not parsed for the audit (the exchange is still recorded). */
const MAX_JSON_BYTES = 1024 * 1024;

/**
 * Records what one pass-through exchange carried, from the bytes the client actually gets:
 * one event per request in the client's body (matched to its response by id, in a JSON body
 * or an SSE stream), and one per notification or server-to-client request the backend sends.
 * Reading the response the client gets covers the gateway's own answers too (a filtered call,
 * an unreachable backend, a refused redirect), so no path goes unrecorded.
 */
export function auditExchange(res: ServerResponse, body: unknown, sink: PassthroughAuditSink): void {
  const started = Date.now();
  const open = new Map<string | number, OpenRequest>();
  let bytesIn = 0;
  for (const message of Array.isArray(body) ? body : body === undefined ? [] : [body]) {
    if (typeof message !== 'object' || message === null) continue;
    const { id, method, params } = message as { id?: unknown; method?: unknown; params?: Record<string, unknown> };
    if (typeof method !== 'string') continue;
    bytesIn += Buffer.byteLength(JSON.stringify(message));
    if (typeof id === 'string' || typeof id === 'number') open.set(id, { method, params });
    else sink({ kind: 'notification', method, ...requestFields(method, params), bytesIn: Buffer.byteLength(JSON.stringify(message)) });
  }

  let sse: SseParser | undefined;
  let json: Buffer[] | undefined = [];
  let jsonBytes = 0;
  let bytesOut = 0;
  const observe = (message: unknown, size: number): void => {
    if (typeof message !== 'object' || message === null) return;
    const m = message as { id?: string | number; method?: string; params?: Record<string, unknown> };
    if (typeof m.method === 'string') {
      const kind = m.id === undefined ? 'notification' : 'server_request';
      sink({ kind, method: m.method, ...requestFields(m.method, m.params), bytesOut: size });
      return;
    }
    if (m.id === undefined) return;
    const request = open.get(m.id);
    if (!request) return;
    open.delete(m.id);
    sink({ ...answered(request, size), ...outcomeOf(message as never), ...failureOutcome(res.statusCode, message) });
  };
  /** A request's event, once its answer (or the lack of one) is known. */
  const answered = (request: OpenRequest, size: number): AuditRecordInput => ({
    kind: 'request',
    method: request.method,
    ...requestFields(request.method, request.params),
    time: started,
    durationMs: Date.now() - started,
    bytesIn,
    bytesOut: size,
    ...(res.statusCode >= 400 ? { httpStatus: res.statusCode } : {}),
  });
  const feed = (chunk: unknown): void => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    bytesOut += bytes.length;
    if (sse === undefined && json !== undefined && String(res.getHeader('content-type') ?? '').includes('text/event-stream')) {
      sse = new SseParser();
      json = undefined;
    }
    if (sse) {
      for (const segment of sse.push(bytes)) {
        if (segment.kind !== 'event' || (segment.event.event !== undefined && segment.event.event !== 'message')) continue;
        for (const message of parseAll(segment.event.data)) observe(message, Buffer.byteLength(segment.event.data));
      }
    } else if (json && jsonBytes + bytes.length <= MAX_JSON_BYTES) {
      json.push(bytes);
      jsonBytes += bytes.length;
    } else {
      json = undefined;
    }
  };

  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.write = ((...args: unknown[]) => {
    safely(() => feed(args[0]));
    return write(...args);
  }) as ServerResponse['write'];
  res.end = ((...args: unknown[]) => {
    safely(() => feed(args[0]));
    return end(...args);
  }) as ServerResponse['end'];
  res.once('close', () =>
    safely(() => {
      if (json) for (const message of parseAll(Buffer.concat(json).toString('utf8'))) observe(message, jsonBytes);
      // Requests that got no answer: the stream broke, or the client left first.
      for (const [, request] of open) {
        sink({
          ...answered(request, bytesOut),
          outcome: res.statusCode === 504 ? 'timeout' : res.statusCode === 202 ? 'ok' : 'backend_unreachable',
          ...(res.statusCode === 202 || res.statusCode < 300 ? {} : { error: { message: `no answer (HTTP ${res.statusCode})` } }),
        });
      }
      open.clear();
    }),
  );
}

/** The gateway's own error answers on the pass-through, by the status it chose. */
function failureOutcome(status: number, message: unknown): { outcome?: AuditOutcome; httpStatus?: number } {
  if (status < 400 || typeof message !== 'object' || message === null || !('error' in message)) return {};
  const text = String((message as { error?: { message?: unknown } }).error?.message ?? '');
  if (status === 504) return { outcome: 'timeout' };
  const answered = /answered HTTP (\d{3})/.exec(text);
  if (answered) return { outcome: 'backend_http_error', httpStatus: Number(answered[1]) };
  if (status === 502) return { outcome: 'backend_unreachable' };
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
