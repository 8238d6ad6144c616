import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import { SUBSCRIPTION_ID_META_KEY } from '@modelcontextprotocol/server';
import type { Dispatcher } from 'undici';
import { readJsonBody, sendJsonRpcError, type JsonBody } from './body.js';
import { buildFilterRefusal, inspectClientPayload, RequestIdSet } from './json-rpc-filter.js';
import { claimsOf, INTERNAL_ERROR, refuseMethod, relayResponse, sendJson, singleId } from './passthrough-relay.js';
import type { IdClaims, RelayOptions } from './passthrough-relay.js';
import { BackendAgents, buildUpstreamHeaders, describeUpstreamFailure } from './passthrough-upstream.js';
import { serializeSseEvent } from './sse-stream.js';
import type { SseEvent, SseRewriteStream } from './sse-stream.js';

/** One HTTP backend as the per-server pass-through sees it. */
export interface PassthroughBackend {
  /** Server name; the gateway paths are `/servers/<name>/...`. */
  name: string;
  /** The backend's URL. Never shown to clients, not even in error messages. */
  url: string;
  transport: 'sse' | 'streamable-http';
  /** Already resolved (secrets filled in); set on every upstream request, over the client's. */
  headers: Record<string, string>;
  /** Time allowed for the backend's response headers, in ms (default 60 000). */
  timeout?: number;
  /** Longest silence allowed on a response body, SSE streams included, in ms (default 300 000). */
  sseReadTimeout?: number;
  /** The server's tool filter, over the backend's own tool names. */
  isToolAllowed(toolName: string): boolean;
  /** The client token whose own filter refuses a tool (the server's allows it), for the refusal's wording. */
  refusingToken?(toolName: string): string | undefined;
  /** Told when the backend answers 401 to the configured credentials (an OAuth token to refresh). */
  onUnauthorized?(): void;
}

/** Log sink of the pass-through; messages never include backend URLs or credentials. */
export type PassthroughLog = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

/** Constructor dependencies of {@link HttpPassthrough}. */
export interface HttpPassthroughDeps {
  /** Largest request body accepted, in bytes; larger ones get 413. */
  maxBodyBytes: number;
  log?: PassthroughLog;
}

type ForwardOptions = Pick<RelayOptions, 'errorId' | 'claims' | 'rewriteEvent' | 'onStream'> & {
  method: string;
  url: string;
  body?: Buffer;
};

/** A legacy SSE session: its GET stream is open and its message URL known. */
interface SseSession {
  backend: string;
  messageUrl: string;
  pending: RequestIdSet;
  stream: SseRewriteStream;
}

/** A stream the gateway may add its own notifications to (list changes after a filter change). */
interface ListeningStream {
  stream: SseRewriteStream;
  /** For a 2026-07-28 `subscriptions/listen` stream: its id and what it listens for. */
  listen?: { id: string | number; filter: Record<string, unknown> };
}

type AbortKind = 'client-gone' | 'backend-closed';
const MAX_TRACKED_SESSIONS = 1024;

const LISTEN_FLAGS: Record<string, string> = {
  'notifications/tools/list_changed': 'toolsListChanged',
  'notifications/prompts/list_changed': 'promptsListChanged',
  'notifications/resources/list_changed': 'resourcesListChanged',
};

/** A single `subscriptions/listen` request: its id and notification filter. */
function listenRequest(body: unknown): ListeningStream['listen'] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const message = body as { method?: unknown; id?: unknown; params?: { notifications?: unknown } };
  if (message.method !== 'subscriptions/listen') return undefined;
  if (typeof message.id !== 'string' && typeof message.id !== 'number') return undefined;
  const filter = message.params?.notifications;
  return { id: message.id, filter: typeof filter === 'object' && filter !== null ? (filter as Record<string, unknown>) : {} };
}

/**
 * Streaming pass-through from `/servers/<name>/...` to one HTTP backend. Bodies stream both ways
 * unchanged; the backend's configured headers replace the client's credentials; the backend's
 * address never reaches the client. The tool filter is the only rewrite: calls to filtered tools
 * are answered here and never forwarded, and `tools/list` responses are trimmed.
 *
 * Handlers never throw: every failure becomes a JSON-RPC error answer (or, once a stream has
 * started, a destroyed response). Closing the client's side aborts the upstream request.
 */
export class HttpPassthrough {
  readonly #maxBodyBytes: number;
  readonly #log: PassthroughLog;
  readonly #agents = new BackendAgents();
  readonly #inflight = new Map<string, Set<AbortController>>();
  readonly #sseSessions = new Map<string, SseSession>();
  /** Streamable HTTP: pending tools/list ids per `<server>\0<Mcp-Session-Id>`, for GET replays. */
  readonly #streamPending = new Map<string, RequestIdSet>();
  readonly #listening = new Map<string, Set<ListeningStream>>();
  #closed = false;

  constructor(deps: Readonly<HttpPassthroughDeps>) {
    this.#maxBodyBytes = deps.maxBodyBytes;
    this.#log = deps.log ?? (() => undefined);
  }

  /** POST/GET/DELETE `/servers/<name>/mcp` for a streamable-http backend. */
  async handleStreamable(req: IncomingMessage, res: ServerResponse, backend: PassthroughBackend, read?: JsonBody): Promise<void> {
    if (this.#refuseWhenClosed(req, res)) return;
    const method = req.method ?? 'GET';
    const sessionId = req.headers['mcp-session-id'];
    const pendingKey = typeof sessionId === 'string' ? `${backend.name}\0${sessionId}` : undefined;
    if (method === 'GET' || method === 'DELETE') {
      req.resume();
      const claims = (): IdClaims | undefined => {
        const pending = pendingKey === undefined ? undefined : this.#streamPending.get(pendingKey);
        return pending && claimsOf(pending);
      };
      const onStream = method === 'GET' ? (stream: SseRewriteStream) => this.#track(backend.name, { stream }) : undefined;
      await this.#forward(req, res, backend, { method, url: backend.url, claims, ...(onStream ? { onStream } : {}) });
      if (method === 'DELETE' && pendingKey !== undefined) this.#streamPending.delete(pendingKey);
      return;
    }
    if (method !== 'POST') return refuseMethod(req, res, 'GET, POST, DELETE');

    const body = read ?? (await readJsonBody(req, res, this.#maxBodyBytes));
    if (!body) return;
    const inspection = inspectClientPayload(body.value, (name) => backend.isToolAllowed(name));
    if (this.#answerFiltered(res, backend, body.value, inspection.blockedTools, (reply) => sendJson(res, reply))) return;
    const local = new RequestIdSet();
    let session: RequestIdSet | undefined;
    for (const id of inspection.toolsListIds) {
      local.add(id);
      if (pendingKey !== undefined) (session ??= this.#sessionPending(pendingKey)).add(id);
    }
    const claims: IdClaims = {
      hasPending: () => local.size > 0 || (session?.size ?? 0) > 0,
      take: (id) => [local.delete(id), session?.delete(id) ?? false].includes(true),
    };
    const errorId = singleId(body.value);
    const listen = listenRequest(body.value);
    const onStream = listen ? (stream: SseRewriteStream) => this.#track(backend.name, { stream, listen }) : undefined;
    await this.#forward(req, res, backend, { method, url: backend.url, body: body.raw, errorId, claims: () => claims, ...(onStream ? { onStream } : {}) });
  }

  /** GET `/servers/<name>/sse` for an sse backend: relays the stream, rewriting its `endpoint`. */
  async handleSseStream(req: IncomingMessage, res: ServerResponse, backend: PassthroughBackend): Promise<void> {
    if (this.#refuseWhenClosed(req, res)) return;
    if (req.method !== 'GET') return refuseMethod(req, res, 'GET');
    const key = randomBytes(18).toString('base64url');
    let stream: SseRewriteStream | undefined;
    const rewriteEvent = (event: SseEvent): string | undefined => {
      if (event.event !== 'endpoint') return undefined;
      const messageUrl = new URL(event.data.trim(), backend.url);
      if (messageUrl.origin !== new URL(backend.url).origin) {
        // Following it would send the backend's credentials to another origin: end the stream.
        this.#log('error', 'backend announced a message endpoint on another origin', { server: backend.name });
        throw new Error(`backend "${backend.name}" announced a message endpoint on another origin`);
      }
      if (!stream) throw new Error('SSE stream not set up before its first event');
      const existing = this.#sseSessions.get(key);
      const pending = existing?.pending ?? new RequestIdSet();
      this.#sseSessions.set(key, { backend: backend.name, messageUrl: messageUrl.href, pending, stream });
      const data = `/servers/${encodeURIComponent(backend.name)}/messages?session=${key}`;
      return serializeSseEvent({ event: 'endpoint', id: event.id, retry: event.retry, data });
    };
    const claims = (): IdClaims | undefined => {
      const session = this.#sseSessions.get(key);
      return session && claimsOf(session.pending);
    };
    try {
      const onStream = (s: SseRewriteStream): void => {
        stream = s;
        this.#track(backend.name, { stream: s });
      };
      await this.#forward(req, res, backend, { method: 'GET', url: backend.url, claims, rewriteEvent, onStream });
    } finally {
      this.#sseSessions.delete(key);
    }
  }

  /** POST `/servers/<name>/messages?session=<key>` for an sse backend. */
  async handleSseMessage(req: IncomingMessage, res: ServerResponse, backend: PassthroughBackend): Promise<void> {
    if (this.#refuseWhenClosed(req, res)) return;
    if (req.method !== 'POST') return refuseMethod(req, res, 'POST');
    const key = new URL(req.url ?? '/', 'http://gateway.invalid').searchParams.get('session');
    const found = key === null ? undefined : this.#sseSessions.get(key);
    if (!found || found.backend !== backend.name) {
      req.resume();
      return sendJsonRpcError(res, 404, -32001, 'Session not found');
    }
    const session = found;
    const body = await readJsonBody(req, res, this.#maxBodyBytes);
    if (!body) return;
    // Legacy SSE answers arrive on the GET stream, so a refusal goes there; the POST gets 202.
    const inspection = inspectClientPayload(body.value, (name) => backend.isToolAllowed(name));
    const injected = this.#answerFiltered(res, backend, body.value, inspection.blockedTools, (reply) => {
      for (const message of Array.isArray(reply) ? reply : [reply]) {
        session.stream.inject(serializeSseEvent({ event: 'message', data: JSON.stringify(message) }));
      }
      res.writeHead(202, { 'content-type': 'text/plain; charset=utf-8' }).end('Accepted');
    });
    if (injected) return;
    for (const id of inspection.toolsListIds) session.pending.add(id);
    const claims = claimsOf(session.pending);
    const errorId = singleId(body.value);
    await this.#forward(req, res, backend, { method: 'POST', url: session.messageUrl, body: body.raw, errorId, claims: () => claims });
  }

  /** Aborts every open upstream request and stream of backend `name` and drops its state. */
  /**
   * Tells the clients listening on `name`'s streams that a list changed (the gateway's tool
   * filter changed, which the backend cannot know): on 2025-era standalone streams as a plain
   * notification, on 2026-07-28 listen streams that asked for it, stamped with their id.
   */
  notifyListChanged(name: string, method: string): void {
    const flag = LISTEN_FLAGS[method];
    for (const listening of this.#listening.get(name) ?? []) {
      const { listen } = listening;
      if (listen && (!flag || listen.filter[flag] !== true)) continue;
      const params = listen ? { _meta: { [SUBSCRIPTION_ID_META_KEY]: listen.id } } : {};
      listening.stream.inject(serializeSseEvent({ event: 'message', data: JSON.stringify({ jsonrpc: '2.0', method, params }) }));
    }
  }

  #track(name: string, listening: ListeningStream): void {
    const set = this.#listening.get(name) ?? new Set<ListeningStream>();
    this.#listening.set(name, set.add(listening));
    listening.stream.once('close', () => {
      set.delete(listening);
      if (set.size === 0 && this.#listening.get(name) === set) this.#listening.delete(name);
    });
  }

  closeBackend(name: string): void {
    this.#abortAll(name);
    for (const [key, session] of this.#sseSessions) if (session.backend === name) this.#sseSessions.delete(key);
    for (const key of this.#streamPending.keys()) if (key.startsWith(`${name}\0`)) this.#streamPending.delete(key);
    void this.#agents.delete(name);
  }

  /** Aborts everything, refuses new requests (503) and destroys the connection pools. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const name of [...this.#inflight.keys()]) this.#abortAll(name);
    this.#sseSessions.clear();
    this.#streamPending.clear();
    await this.#agents.close();
  }

  async #forward(req: IncomingMessage, res: ServerResponse, backend: PassthroughBackend, opts: ForwardOptions): Promise<void> {
    const controller = new AbortController();
    const open = this.#inflight.get(backend.name) ?? new Set<AbortController>();
    this.#inflight.set(backend.name, open.add(controller));
    const onClose = (): void => {
      if (!res.writableFinished) controller.abort('client-gone' satisfies AbortKind);
    };
    res.once('close', onClose);
    try {
      let upstream: Dispatcher.ResponseData;
      try {
        upstream = await request(opts.url, {
          method: opts.method as Dispatcher.HttpMethod,
          headers: buildUpstreamHeaders(req.headers, backend.headers),
          body: opts.body,
          signal: controller.signal,
          dispatcher: this.#agents.get(backend),
        });
      } catch (error) {
        if (controller.signal.aborted) return this.#answerAborted(res, backend, controller.signal.reason);
        const failure = describeUpstreamFailure(error, backend);
        this.#log('warn', 'backend request failed', { server: backend.name, code: failure.code });
        return sendJsonRpcError(res, failure.status, INTERNAL_ERROR, failure.message, opts.errorId ?? null);
      }
      if (upstream.statusCode === 401) backend.onUnauthorized?.();
      await relayResponse(res, upstream, {
        ...opts,
        server: backend.name,
        isToolAllowed: (name) => backend.isToolAllowed(name),
        log: (level, msg, fields) => this.#log(level, msg, fields),
      });
    } catch (error) {
      if (!controller.signal.aborted) {
        const failure = describeUpstreamFailure(error, backend);
        this.#log('warn', 'backend stream ended with an error', { server: backend.name, code: failure.code });
      }
      if (res.headersSent) res.destroy();
      else sendJsonRpcError(res, 502, INTERNAL_ERROR, `backend "${backend.name}" sent an unusable response`, opts.errorId ?? null);
    } finally {
      res.off('close', onClose);
      open.delete(controller);
      if (open.size === 0 && this.#inflight.get(backend.name) === open) this.#inflight.delete(backend.name);
    }
  }


  /** Answers (through `reply`) a payload that calls a filtered tool; false when there is none. */
  #answerFiltered(
    res: ServerResponse,
    backend: PassthroughBackend,
    payload: unknown,
    blockedTools: readonly string[],
    reply: (refusal: unknown) => void,
  ): boolean {
    if (blockedTools.length === 0) return false;
    this.#log('info', 'tool call refused by the tool filter', { server: backend.name, tools: blockedTools });
    const refusal = buildFilterRefusal(payload, blockedTools, backend.name, (tool) => backend.refusingToken?.(tool));
    if (refusal === undefined) res.writeHead(202).end();
    else reply(refusal);
    return true;
  }

  #answerAborted(res: ServerResponse, backend: PassthroughBackend, reason: unknown): void {
    if (reason === ('client-gone' satisfies AbortKind) || res.destroyed) return;
    sendJsonRpcError(res, 503, INTERNAL_ERROR, `backend "${backend.name}" was closed by the gateway`);
  }

  #refuseWhenClosed(req: IncomingMessage, res: ServerResponse): boolean {
    if (!this.#closed) return false;
    req.resume();
    sendJsonRpcError(res, 503, INTERNAL_ERROR, 'the gateway is shutting down');
    return true;
  }

  #abortAll(name: string): void {
    const open = this.#inflight.get(name);
    this.#inflight.delete(name);
    for (const controller of open ?? []) controller.abort('backend-closed' satisfies AbortKind);
  }

  #sessionPending(key: string): RequestIdSet {
    let pending = this.#streamPending.get(key);
    if (!pending) {
      pending = new RequestIdSet();
      this.#streamPending.set(key, pending);
      if (this.#streamPending.size > MAX_TRACKED_SESSIONS) {
        const oldest = this.#streamPending.keys().next();
        if (!oldest.done) this.#streamPending.delete(oldest.value);
      }
    }
    return pending;
  }
}
