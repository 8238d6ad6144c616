import type { IncomingMessage, ServerResponse } from 'node:http';
import { SUBSCRIPTION_ID_META_KEY } from '@modelcontextprotocol/server';
import { containsInitialize, readJsonBody, sendJsonRpcError, type JsonBody } from './body.js';
import { inspectClientPayload, RequestIdSet } from './json-rpc-filter.js';
import { PassthroughAudit } from './passthrough-audit.js';
import { PostDeadline } from './passthrough-deadline.js';
import { UpstreamForwarder, type PassthroughLog } from './passthrough-forward.js';
import { answerRefusal, refuseSession, type PassthroughBackend, type PassthroughCaller } from './passthrough-policy.js';
import { claimsOf, INTERNAL_ERROR, refuseMethod, sendJson, singleId } from './passthrough-relay.js';
import type { IdClaims } from './passthrough-relay.js';
import { LegacySsePassthrough } from './passthrough-sse.js';
import { SessionQuota, type SessionSlot } from './session-quota.js';
import { serializeSseEvent } from './sse-stream.js';
import type { SseRewriteStream } from './sse-stream.js';

export type { PassthroughBackend, PassthroughCaller } from './passthrough-policy.js';
export type { PassthroughLog } from './passthrough-forward.js';

/** Constructor dependencies of {@link HttpPassthrough}. */
export interface HttpPassthroughDeps {
  /** Largest request body accepted, in bytes; larger ones get 413. */
  maxBodyBytes: number;
  /** Where pass-through sessions are counted with every other session (default: no limit). */
  quota?: SessionQuota;
  log?: PassthroughLog;
}

/** A streamable HTTP session opened through the pass-through: whose it is, how to end it upstream. */
interface StreamSession {
  key: string;
  /** The backend's `Mcp-Session-Id`, which the client uses as is. */
  id: string;
  owner: string;
  target: PassthroughBackend;
  protocolVersion?: string;
  lastSeen: number;
  slot: SessionSlot;
  /** tools/list ids whose answers may come on the session's GET stream. */
  pending: RequestIdSet;
}

/** A stream the gateway may add its own notifications to (list changes after a filter change). */
interface ListeningStream {
  stream: SseRewriteStream;
  /** For a 2026-07-28 `subscriptions/listen` stream: its id and what it listens for. */
  listen?: { id: string | number; filter: Record<string, unknown> };
}

const LISTEN_FLAGS: Record<string, string> = {
  'notifications/tools/list_changed': 'toolsListChanged',
  'notifications/prompts/list_changed': 'promptsListChanged',
  'notifications/resources/list_changed': 'resourcesListChanged',
};

/**
 * Streaming pass-through from `/servers/<name>/...` to one HTTP backend. Bodies stream both ways
 * unchanged; the backend's configured headers replace the client's credentials; the backend's
 * address never reaches the client. The tool filter is the only rewrite: calls to filtered tools
 * (and to names the backend's catalog does not have) are answered here and never forwarded, and
 * `tools/list` responses are trimmed.
 *
 * Sessions belong to the token that opened them: another token's requests with their id get 404,
 * like an unknown id. Every session takes a slot of the gateway's {@link SessionQuota}; it ends
 * (DELETE upstream) when its token is revoked or it carries no request for the idle time. Every
 * request waits for its answer at most the backend's timeout, then gets the gateway's timeout
 * error and is cancelled upstream. Every exchange is audited from what the client got.
 *
 * Handlers never throw: every failure becomes a JSON-RPC error answer (or, once a stream has
 * started, a destroyed response). Closing the client's side aborts the upstream request.
 */
export class HttpPassthrough {
  readonly #maxBodyBytes: number;
  readonly #log: PassthroughLog;
  readonly #quota: SessionQuota;
  readonly #forwarder: UpstreamForwarder;
  readonly #legacy: LegacySsePassthrough;
  readonly #sessions = new Map<string, StreamSession>();
  readonly #listening = new Map<string, Set<ListeningStream>>();
  #closed = false;

  constructor(deps: Readonly<HttpPassthroughDeps>) {
    this.#maxBodyBytes = deps.maxBodyBytes;
    this.#log = deps.log ?? (() => undefined);
    this.#quota = deps.quota ?? new SessionQuota({});
    this.#forwarder = new UpstreamForwarder(this.#log);
    this.#legacy = new LegacySsePassthrough({
      forwarder: this.#forwarder,
      quota: this.#quota,
      maxBodyBytes: this.#maxBodyBytes,
      log: this.#log,
      track: (server, stream) => this.#track(server, { stream }),
    });
  }

  /** POST/GET/DELETE `/servers/<name>/mcp` for a streamable-http backend. */
  async handleStreamable(req: IncomingMessage, res: ServerResponse, backend: PassthroughBackend, caller: PassthroughCaller, read?: JsonBody): Promise<void> {
    if (this.#refuseWhenClosed(req, res)) return;
    const method = req.method ?? 'GET';
    const sessionId = req.headers['mcp-session-id'];
    let session: StreamSession | undefined;
    if (typeof sessionId === 'string') {
      // Another token's session is answered as an unknown one: its existence is not confirmed.
      session = this.#sessions.get(sessionKey(backend.name, sessionId));
      if (!session || session.owner !== caller.owner.id) {
        req.resume();
        return sendJsonRpcError(res, 404, -32001, 'Session not found');
      }
      session.lastSeen = Date.now();
      const version = req.headers['mcp-protocol-version'];
      if (typeof version === 'string') session.protocolVersion = version;
    }
    const onResponse = (status: number): void => {
      // The backend no longer knows the session (it expired there), or the client ended it.
      if (session && (status === 404 || (method === 'DELETE' && status < 300))) this.#forget(session);
    };
    if (method === 'GET' || method === 'DELETE') {
      req.resume();
      // Notifications and server requests on the stream are audited.
      new PassthroughAudit(res, caller.audit, session?.id);
      const claims = (): IdClaims | undefined => session && claimsOf(session.pending);
      const onStream = method === 'GET' ? (stream: SseRewriteStream) => this.#track(backend.name, { stream }) : undefined;
      await this.#forwarder.forward(req, res, backend, { method, url: backend.url, claims, onResponse, ...(onStream ? { onStream } : {}) });
      return;
    }
    if (method !== 'POST') return refuseMethod(req, res, 'GET, POST, DELETE');

    const body = read ?? (await readJsonBody(req, res, this.#maxBodyBytes));
    if (!body) return;
    // A new session takes a slot of the quota, given back if no session comes of it.
    let slot: SessionSlot | undefined;
    if (!session && containsInitialize(body.value)) {
      const reserved = this.#quota.reserve(caller.owner);
      if ('refused' in reserved) return refuseSession(req, res, caller, 'initialize', reserved.refused);
      slot = reserved;
    }
    const audit = new PassthroughAudit(res, caller.audit, session?.id);
    const posted = audit.expect(body.value);
    const inspection = inspectClientPayload(body.value, (name) => backend.isToolAllowed(name), (name) => backend.hasTool(name));
    if (answerRefusal(res, backend, body.value, inspection, this.#log, (reply) => sendJson(res, reply))) {
      slot?.release();
      return posted.settle();
    }
    const local = new RequestIdSet();
    for (const id of inspection.toolsListIds) {
      local.add(id);
      session?.pending.add(id);
    }
    const claims: IdClaims = {
      hasPending: () => local.size > 0 || (session?.pending.size ?? 0) > 0,
      take: (id) => [local.delete(id), session?.pending.delete(id) ?? false].includes(true),
    };
    const listen = listenRequest(body.value);
    const onStream = listen ? (stream: SseRewriteStream) => this.#track(backend.name, { stream, listen }) : undefined;
    await this.#forwarder.forward(req, res, backend, {
      method,
      url: backend.url,
      body: body.raw,
      errorId: singleId(body.value),
      claims: () => claims,
      deadline: new PostDeadline(body.value, backend.name, backend.timeout),
      onResponse: (status, headers) => {
        posted.settle(status);
        onResponse(status);
        const opened = headers['mcp-session-id'];
        if (slot && status < 300 && typeof opened === 'string') {
          this.#open(backend, caller, opened, slot, req.headers['mcp-protocol-version']);
          slot = undefined;
        }
      },
      onExpired: (expired) => this.#forwarder.cancel(backend, backend.url, upstreamSessionHeaders(session?.id, req.headers['mcp-protocol-version']), expired),
      ...(onStream ? { onStream } : {}),
    });
    slot?.release();
    posted.settle();
  }

  /** GET `/servers/<name>/sse` for an sse backend: relays the stream, rewriting its `endpoint`. */
  async handleSseStream(req: IncomingMessage, res: ServerResponse, backend: PassthroughBackend, caller: PassthroughCaller): Promise<void> {
    if (this.#refuseWhenClosed(req, res)) return;
    await this.#legacy.handleStream(req, res, backend, caller);
  }

  /** POST `/servers/<name>/messages?session=<key>` for an sse backend. */
  async handleSseMessage(req: IncomingMessage, res: ServerResponse, backend: PassthroughBackend, caller: PassthroughCaller): Promise<void> {
    if (this.#refuseWhenClosed(req, res)) return;
    await this.#legacy.handleMessage(req, res, backend, caller);
  }

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

  /** A token was revoked: its sessions end, upstream too (DELETE, or the legacy stream closed). */
  closeSessionsOf(owner: string): void {
    for (const session of [...this.#sessions.values()]) if (session.owner === owner) this.#end(session);
    this.#legacy.closeOwner(owner);
  }

  /** Ends the sessions that carried no request since `cutoff`, upstream too. */
  closeIdle(cutoff: number): void {
    for (const session of [...this.#sessions.values()]) if (session.lastSeen < cutoff) this.#end(session);
    this.#legacy.closeIdle(cutoff);
  }

  /** Aborts every open upstream request and stream of backend `name` and drops its sessions. */
  closeBackend(name: string): void {
    for (const session of [...this.#sessions.values()]) if (session.target.name === name) this.#forget(session);
    this.#legacy.closeBackend(name);
    this.#forwarder.closeBackend(name);
  }

  /** Aborts everything, refuses new requests (503) and destroys the connection pools. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const session of [...this.#sessions.values()]) this.#forget(session);
    this.#legacy.closeAll();
    await this.#forwarder.close();
  }

  #open(backend: PassthroughBackend, caller: PassthroughCaller, id: string, slot: SessionSlot, version: string | string[] | undefined): void {
    const key = sessionKey(backend.name, id);
    // A backend that hands out an id already in use: the older session is gone on its side.
    const previous = this.#sessions.get(key);
    if (previous) this.#forget(previous);
    this.#sessions.set(key, {
      key,
      id,
      owner: caller.owner.id,
      target: backend,
      ...(typeof version === 'string' ? { protocolVersion: version } : {}),
      lastSeen: Date.now(),
      slot,
      pending: new RequestIdSet(),
    });
  }

  /** Ends a session on the backend too (DELETE, its answer not awaited), and forgets it. */
  #end(session: StreamSession): void {
    this.#forget(session);
    this.#forwarder.sendAside(session.target, session.target.url, 'DELETE', upstreamSessionHeaders(session.id, session.protocolVersion));
  }

  #forget(session: StreamSession): void {
    if (this.#sessions.get(session.key) !== session) return;
    this.#sessions.delete(session.key);
    session.slot.release();
  }

  #track(name: string, listening: ListeningStream): void {
    const set = this.#listening.get(name) ?? new Set<ListeningStream>();
    this.#listening.set(name, set.add(listening));
    listening.stream.once('close', () => {
      set.delete(listening);
      if (set.size === 0 && this.#listening.get(name) === set) this.#listening.delete(name);
    });
  }

  #refuseWhenClosed(req: IncomingMessage, res: ServerResponse): boolean {
    if (!this.#closed) return false;
    req.resume();
    sendJsonRpcError(res, 503, INTERNAL_ERROR, 'the gateway is shutting down');
    return true;
  }
}

function sessionKey(server: string, id: string): string {
  return `${server}\0${id}`;
}

/** The session headers of a request of the gateway's own to a backend session. */
function upstreamSessionHeaders(id: string | undefined, version: string | string[] | undefined): Record<string, string> {
  return { ...(id ? { 'mcp-session-id': id } : {}), ...(typeof version === 'string' ? { 'mcp-protocol-version': version } : {}) };
}


/** A single `subscriptions/listen` request: its id and notification filter. */
function listenRequest(body: unknown): ListeningStream['listen'] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const message = body as { method?: unknown; id?: unknown; params?: { notifications?: unknown } };
  if (message.method !== 'subscriptions/listen') return undefined;
  if (typeof message.id !== 'string' && typeof message.id !== 'number') return undefined;
  const filter = message.params?.notifications;
  return { id: message.id, filter: typeof filter === 'object' && filter !== null ? (filter as Record<string, unknown>) : {} };
}
