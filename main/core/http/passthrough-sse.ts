import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJsonBody, sendJsonRpcError } from './body.js';
import { inspectClientPayload, RequestIdSet } from './json-rpc-filter.js';
import { PassthroughAudit } from './passthrough-audit.js';
import { GivenUpIds, PostDeadline } from './passthrough-deadline.js';
import type { PassthroughLog, UpstreamForwarder } from './passthrough-forward.js';
import { claimsOf, refuseMethod, singleId } from './passthrough-relay.js';
import type { IdClaims, SseRelay } from './passthrough-relay.js';
import type { PassthroughBackend, PassthroughCaller } from './passthrough-policy.js';
import { answerRefusal, refuseSession } from './passthrough-policy.js';
import type { SessionQuota, SessionSlot } from './session-quota.js';
import { serializeSseEvent } from './sse-stream.js';
import type { SseEvent, SseRewriteStream } from './sse-stream.js';

/** A legacy SSE session: its GET stream, whose it is, and what it waits for. */
interface SseSession {
  server: string;
  owner: string;
  target: PassthroughBackend;
  /** The backend's message URL, once its `endpoint` event came. */
  messageUrl?: string;
  /** tools/list ids whose answers, on the stream, are trimmed. */
  pending: RequestIdSet;
  stream?: SseRewriteStream;
  audit: PassthroughAudit;
  /** The POSTs whose requests still wait for an answer on the stream. */
  deadlines: Set<PostDeadline>;
  givenUp: GivenUpIds;
  lastSeen: number;
  slot: SessionSlot;
  /** Ends the client's stream (and with it the backend's). */
  end(): void;
}

/** What {@link LegacySsePassthrough} is built with. */
export interface LegacySseDeps {
  forwarder: UpstreamForwarder;
  quota: SessionQuota;
  maxBodyBytes: number;
  log: PassthroughLog;
  /** Registers a stream the gateway may add list-change notifications to. */
  track(server: string, stream: SseRewriteStream): void;
}

/**
 * The legacy HTTP+SSE pass-through (`/servers/<name>/sse` and `/messages`): the backend's
 * stream is relayed with its `endpoint` event rewritten to a gateway URL of the session's own,
 * which only the token that opened the stream may POST to. Each posted message is audited with
 * its answer from the stream, and waits for it at most the backend's timeout.
 */
export class LegacySsePassthrough {
  readonly #sessions = new Map<string, SseSession>();

  constructor(private readonly deps: LegacySseDeps) {}

  /** GET `/servers/<name>/sse`: relays the backend's stream, rewriting its `endpoint`. */
  async handleStream(req: IncomingMessage, res: ServerResponse, backend: PassthroughBackend, caller: PassthroughCaller): Promise<void> {
    if (req.method !== 'GET') return refuseMethod(req, res, 'GET');
    const slot = this.deps.quota.reserve(caller.owner);
    if ('refused' in slot) return refuseSession(req, res, caller, `HTTP ${req.method}`, slot.refused);
    const key = randomBytes(18).toString('base64url');
    let relay: SseRelay | undefined;
    const session: SseSession = {
      server: backend.name,
      owner: caller.owner.id,
      target: backend,
      pending: new RequestIdSet(),
      audit: new PassthroughAudit(res, caller.audit, randomUUID()),
      deadlines: new Set(),
      givenUp: new GivenUpIds(),
      lastSeen: Date.now(),
      slot,
      end: () => (relay ? relay.end([]) : res.destroy()),
    };
    this.#sessions.set(key, session);
    const rewriteEvent = (event: SseEvent): string | undefined => {
      if (event.event !== 'endpoint') return undefined;
      const messageUrl = new URL(event.data.trim(), backend.url);
      if (messageUrl.origin !== new URL(backend.url).origin) {
        // Following it would send the backend's credentials to another origin: end the stream.
        this.deps.log('error', 'backend announced a message endpoint on another origin', { server: backend.name });
        throw new Error(`backend "${backend.name}" announced a message endpoint on another origin`);
      }
      session.messageUrl = messageUrl.href;
      const data = `/servers/${encodeURIComponent(backend.name)}/messages?session=${key}`;
      return serializeSseEvent({ event: 'endpoint', id: event.id, retry: event.retry, data });
    };
    const watch = (message: unknown): boolean => {
      for (const deadline of session.deadlines) {
        deadline.observe(message);
        if (!deadline.isWaiting) session.deadlines.delete(deadline);
      }
      return !session.givenUp.takeLateAnswer(message);
    };
    try {
      await this.deps.forwarder.forward(req, res, backend, {
        method: 'GET',
        url: backend.url,
        claims: () => claimsOf(session.pending),
        rewriteEvent,
        watch,
        onStream: (stream) => {
          session.stream = stream;
          this.deps.track(backend.name, stream);
        },
        onSseRelay: (started) => (relay = started),
      });
    } finally {
      this.#forget(key);
    }
  }

  /** POST `/servers/<name>/messages?session=<key>`: only the stream's own token may post to it. */
  async handleMessage(req: IncomingMessage, res: ServerResponse, backend: PassthroughBackend, caller: PassthroughCaller): Promise<void> {
    if (req.method !== 'POST') return refuseMethod(req, res, 'POST');
    const key = new URL(req.url ?? '/', 'http://gateway.invalid').searchParams.get('session');
    const session = key === null ? undefined : this.#sessions.get(key);
    if (!session || session.server !== backend.name || session.owner !== caller.owner.id || !session.messageUrl || !session.stream) {
      req.resume();
      return sendJsonRpcError(res, 404, -32001, 'Session not found');
    }
    const body = await readJsonBody(req, res, this.deps.maxBodyBytes);
    if (!body) return;
    session.lastSeen = Date.now();
    const stream = session.stream;
    const posted = session.audit.expect(body.value);
    // Legacy SSE answers arrive on the GET stream, so a refusal goes there; the POST gets 202.
    const inspection = inspectClientPayload(body.value, (name) => backend.isToolAllowed(name), (name) => backend.hasTool(name));
    const refused = answerRefusal(res, backend, body.value, inspection, this.deps.log, (reply) => {
      for (const message of Array.isArray(reply) ? reply : [reply]) stream.inject(serializeSseEvent({ event: 'message', data: JSON.stringify(message) }));
      res.writeHead(202, { 'content-type': 'text/plain; charset=utf-8' }).end('Accepted');
    });
    if (refused) return posted.settle();
    for (const id of inspection.toolsListIds) session.pending.add(id);
    const deadline = this.#startDeadline(session, body.value);
    const claims: IdClaims = claimsOf(session.pending);
    let backendStatus: number | undefined;
    await this.deps.forwarder.forward(req, res, backend, {
      method: 'POST',
      url: session.messageUrl,
      body: body.raw,
      errorId: singleId(body.value),
      claims: () => claims,
      onResponse: (status) => (backendStatus = status),
    });
    if (res.statusCode < 300) return posted.settle(backendStatus);
    // The message was not taken: no answer will come on the stream.
    deadline.dispose();
    session.deadlines.delete(deadline);
    posted.settle(backendStatus, { clientStatus: res.statusCode, message: `the backend did not take the message (HTTP ${res.statusCode})` });
  }

  /** Ends the streams of `owner` (a revoked token). */
  closeOwner(owner: string): void {
    for (const session of this.#sessions.values()) if (session.owner === owner) session.end();
  }

  /** Ends the streams that carried no message since `cutoff`. */
  closeIdle(cutoff: number): void {
    for (const session of this.#sessions.values()) if (session.lastSeen < cutoff) session.end();
  }

  /** Forgets the sessions of backend `name` (its streams are being aborted). */
  closeBackend(name: string): void {
    for (const [key, session] of this.#sessions) if (session.server === name) this.#forget(key);
  }

  /** Forgets every session. */
  closeAll(): void {
    for (const key of [...this.#sessions.keys()]) this.#forget(key);
  }

  /** The clock of one POST's requests: when it runs out, their timeout errors go on the stream. */
  #startDeadline(session: SseSession, body: unknown): PostDeadline {
    const deadline = new PostDeadline(body, session.server, session.target.timeout);
    if (!deadline.isWaiting) return deadline;
    session.deadlines.add(deadline);
    deadline.start((expired) => {
      session.deadlines.delete(deadline);
      for (const request of expired) {
        session.givenUp.add(request.id);
        session.stream?.inject(serializeSseEvent({ event: 'message', data: JSON.stringify(request.answer) }));
      }
      if (session.messageUrl) this.deps.forwarder.cancel(session.target, session.messageUrl, {}, expired);
    });
    return deadline;
  }

  #forget(key: string): void {
    const session = this.#sessions.get(key);
    if (!session) return;
    this.#sessions.delete(key);
    session.slot.release();
    for (const deadline of session.deadlines) deadline.dispose();
    session.deadlines.clear();
  }
}
