import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import { sendJsonRpcError } from './body.js';
import type { JsonRpcIdValue } from './body.js';
import { isJsonRpcId, rewriteToolsListText } from './json-rpc-filter.js';
import type { JsonRpcId, RequestIdSet, ToolPredicate } from './json-rpc-filter.js';
import { mediaType, pickResponseHeaders } from './passthrough-upstream.js';
import { serializeSseEvent, SseRewriteStream } from './sse-stream.js';
import type { SseEvent } from './sse-stream.js';

/** JSON-RPC "Internal error": what the gateway answers for backend failures. */
export const INTERNAL_ERROR = -32603;

/** Which pending `tools/list` ids a response may answer; `take` forgets an id as it matches. */
export interface IdClaims {
  hasPending(): boolean;
  take(id: JsonRpcId): boolean;
}

/** How {@link relayResponse} treats one upstream response. */
export interface RelayOptions {
  /** Server name, for messages. */
  server: string;
  isToolAllowed: ToolPredicate;
  /** Id of the single request in the client's body, used in error answers. */
  errorId?: JsonRpcIdValue;
  /** Looked up per event/response: streams may outlive the request that created the claims. */
  claims?: () => IdClaims | undefined;
  /** Sees each SSE event first; a returned block replaces the event (the tools/list trim is skipped). */
  rewriteEvent?: (event: SseEvent) => string | undefined;
  /** Called with the outgoing SSE stream before any event flows, so events can be injected. */
  onStream?: (stream: SseRewriteStream) => void;
  /** Sees each JSON-RPC message of a `message` event first; `false` drops the event (a late answer). */
  watch?: (message: unknown) => boolean;
  /** Called when an SSE relay starts, with a way to end it early (after the gateway's own last events). */
  onSseRelay?: (relay: SseRelay) => void;
  log: (level: 'warn', msg: string, fields: Record<string, unknown>) => void;
}

/** An SSE relay under way. */
export interface SseRelay {
  /**
   * Stops relaying the backend's stream (it is closed), sends `blocks` (serialized events of the
   * gateway's own) and ends the client's stream cleanly.
   */
  end(blocks: readonly string[]): void;
}

/** Claims over one id set. */
export function claimsOf(pending: RequestIdSet): IdClaims {
  return { hasPending: () => pending.size > 0, take: (id) => pending.delete(id) };
}

/**
 * Relays an upstream response to the client. SSE bodies stream event by event; JSON bodies are
 * buffered only while a `tools/list` answer may be in them; anything else streams untouched.
 * Auth challenges, redirects and non-JSON error bodies are replaced with a JSON-RPC error, as
 * they can name the backend's address. Resolves when the body is done; rejects if either side
 * fails mid-stream (the client's response is then destroyed by the pipeline).
 */
export async function relayResponse(res: ServerResponse, upstream: Dispatcher.ResponseData, opts: RelayOptions): Promise<void> {
  const status = upstream.statusCode;
  const type = mediaType(upstream.headers['content-type']);
  const backend = `backend "${opts.server}"`;
  const refusal =
    status === 401 || status === 403
      ? { status: 502, message: `${backend} rejected the gateway's credentials (HTTP ${status})` }
      : status >= 300 && status < 400
        ? { status: 502, message: `${backend} answered with a redirect (HTTP ${status}), which the gateway does not follow` }
        : status >= 400 && type !== 'application/json'
          ? { status, message: `${backend} answered HTTP ${status}` }
          : type !== '' && type !== 'application/json' && type !== 'text/event-stream' && status !== 202 && status !== 204
            ? { status: 502, message: `${backend} answered with ${type}, not an MCP message (HTTP ${status})` }
            : undefined;
  if (refusal) {
    await upstream.body.dump();
    opts.log('warn', 'backend refused a request', { server: opts.server, status });
    return sendJsonRpcError(res, refusal.status, INTERNAL_ERROR, refusal.message, opts.errorId ?? null);
  }

  const headers = pickResponseHeaders(upstream.headers);
  if (type === 'text/event-stream') {
    const stream = new SseRewriteStream((event) => opts.rewriteEvent?.(event) ?? relayEvent(event, opts));
    opts.onStream?.(stream);
    res.writeHead(status, headers).flushHeaders();
    const body = upstream.body;
    let endedEarly = false;
    // Also after an early end: destroying an undici body emits an abort error.
    body.on('error', (error: Error) => {
      if (!endedEarly) stream.destroy(error);
    });
    body.pipe(stream);
    opts.onSseRelay?.({
      end(blocks) {
        endedEarly = true;
        body.unpipe(stream);
        body.destroy();
        for (const block of blocks) stream.inject(block);
        stream.end();
      },
    });
    try {
      await pipeline(stream, res);
    } finally {
      // The client left or the stream failed: the backend's side goes too.
      if (!body.destroyed) body.destroy();
    }
    return;
  }
  const claims = opts.claims?.();
  if (type === 'application/json' && claims?.hasPending()) {
    const text = await upstream.body.text();
    const out = rewriteToolsListText(text, (id) => claims.take(id), opts.isToolAllowed) ?? text;
    res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(out) }).end(out);
    return;
  }
  const length = upstream.headers['content-length'];
  if (typeof length === 'string') headers['content-length'] = length;
  res.writeHead(status, headers);
  return pipeline(upstream.body, res);
}

/** One upstream SSE event on its way out: watched, dropped when a watcher says so, else trimmed. */
function relayEvent(event: SseEvent, opts: RelayOptions): string | undefined {
  if (event.event !== undefined && event.event !== 'message') return undefined;
  if (opts.watch && !watchEvent(event.data, opts.watch)) return '';
  return trimEvent(event, opts.claims?.(), opts.isToolAllowed);
}

/** Hands each message of an event to `watch`; false when it says to drop the event. */
function watchEvent(data: string, watch: (message: unknown) => boolean): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data) as unknown;
  } catch {
    return true;
  }
  let keep = true;
  for (const message of Array.isArray(parsed) ? parsed : [parsed]) keep = watch(message) && keep;
  return keep;
}

function trimEvent(event: SseEvent, claims: IdClaims | undefined, isToolAllowed: ToolPredicate): string | undefined {
  if (!claims?.hasPending()) return undefined;
  const data = rewriteToolsListText(event.data, (id) => claims.take(id), isToolAllowed);
  return data === undefined ? undefined : serializeSseEvent({ event: event.event, id: event.id, retry: event.retry, data });
}

/** The id of a single (non-batch) request, for error answers; `null` otherwise. */
export function singleId(payload: unknown): JsonRpcIdValue {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return null;
  const id = (payload as { id?: unknown }).id;
  return isJsonRpcId(id) ? id : null;
}

/** Answers 200 with a JSON body. */
export function sendJson(res: ServerResponse, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

/** Answers 405 with `Allow`, discarding the request body. */
export function refuseMethod(req: IncomingMessage, res: ServerResponse, allow: string): void {
  req.resume();
  res.setHeader('allow', allow);
  sendJsonRpcError(res, 405, -32000, 'Method not allowed');
}
