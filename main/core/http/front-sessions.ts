import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import type { AuditClient } from '../audit/audit-event.js';
import { errorMessage } from '../base/logger.js';
import type { AggregateSession } from '../routing/aggregate-session.js';
import type { AuditSink } from '../routing/audit-tap.js';
import type { Principal } from '../routing/route-view.js';
import { containsInitialize, readJsonBody, sendJsonRpcError } from './body.js';
import { sendSessionRefusal, type SessionQuota, type SessionSlot } from './session-quota.js';
import { SseServerTransport } from './sse-server-transport.js';

/** Which way a client session goes through the gateway, and whose it is. */
export type SessionScope = ({ way: 'aggregate' } | { way: 'server'; server: string }) & { principal: Principal };

/** One client session of the gateway's own (aggregate, or per-server bridged). */
export interface FrontSession {
  scope: SessionScope;
  transport: NodeStreamableHTTPServerTransport | SseServerTransport;
  aggregate?: AggregateSession;
  /** When the session last carried a request. */
  lastSeen: number;
  /** Its place in the session quota, released when the session ends. */
  slot: SessionSlot;
  close(): Promise<void>;
}

/** What opening a session gives, before it is recorded. */
export type OpenedSession = Pick<FrontSession, 'aggregate' | 'close'>;

/** What {@link FrontSessions} is built with. */
export interface FrontSessionsDeps {
  /** Where every kind of session is counted, in total and per token. */
  quota: SessionQuota;
  /** Where a refused session is recorded. */
  audit: AuditSink;
  maxBodyBytes: number;
}

/**
 * The sessions the gateway holds itself, over streamable HTTP and legacy SSE: found by
 * `Mcp-Session-Id` or the `sessionId` query, only by the endpoint and the token that opened
 * them (anything else is answered 404, as an unknown id). Each takes a slot of the quota when
 * it opens and gives it back when it ends.
 */
export class FrontSessions {
  readonly #sessions = new Map<string, FrontSession>();

  constructor(private readonly deps: FrontSessionsDeps) {}

  /** Whether `id` names an open session of the gateway's own. */
  has(id: string): boolean {
    return this.#sessions.has(id);
  }

  /** Every open session. */
  all(): FrontSession[] {
    return [...this.#sessions.values()];
  }

  /**
   * A streamable HTTP request of `scope`: to its session, or (an `initialize` without one)
   * opening a new session with `open`.
   */
  async streamable(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    scope: SessionScope,
    client: AuditClient,
    open: (transport: NodeStreamableHTTPServerTransport) => Promise<OpenedSession>,
  ): Promise<void> {
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = this.#sessions.get(sessionId);
      if (!session || !(session.transport instanceof NodeStreamableHTTPServerTransport) || !sameScope(session.scope, scope)) {
        sendJsonRpcError(res, 404, -32001, 'Session not found');
        return;
      }
      session.lastSeen = Date.now();
      await session.transport.handleRequest(req, res, body);
      return;
    }
    if (req.method !== 'POST' || !containsInitialize(body)) {
      sendJsonRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required (start with an initialize request)');
      return;
    }
    const slot = this.#reserve(res, scope, client, 'initialize');
    if (!slot) return;
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => {
        this.#sessions.set(id, { scope, transport, lastSeen: Date.now(), slot, ...opened });
      },
      onsessionclosed: (id) => {
        const session = this.#sessions.get(id);
        if (session) void session.close();
      },
    });
    let opened: OpenedSession;
    try {
      opened = await open(transport);
    } catch (error) {
      slot.release();
      sendJsonRpcError(res, 502, -32603, errorMessage(error));
      return;
    }
    await transport.handleRequest(req, res, body);
    // An initialize the transport refused leaves no session: release what was opened for it.
    if (transport.sessionId === undefined || !this.#sessions.has(transport.sessionId)) {
      slot.release();
      await opened.close();
    }
  }

  /** `GET` of a legacy SSE endpoint: opens a session on `transport` with `open`. */
  async sse(
    req: IncomingMessage,
    res: ServerResponse,
    transport: SseServerTransport,
    scope: SessionScope,
    client: AuditClient,
    open: () => Promise<OpenedSession>,
  ): Promise<void> {
    const slot = this.#reserve(res, scope, client, `HTTP ${req.method ?? 'GET'}`);
    if (!slot) return;
    let opened: OpenedSession;
    try {
      opened = await open();
    } catch (error) {
      slot.release();
      // Nothing was written yet, so this can still be a plain error response.
      return sendJsonRpcError(res, 502, -32603, errorMessage(error));
    }
    this.#sessions.set(transport.sessionId, { scope, transport, lastSeen: Date.now(), slot, ...opened });
  }

  /** `POST /messages?sessionId=` of a legacy SSE session of `scope`. */
  async message(req: IncomingMessage, res: ServerResponse, scope: SessionScope): Promise<void> {
    const sessionId = new URL(req.url ?? '/', 'http://localhost').searchParams.get('sessionId') ?? '';
    const session = this.#sessions.get(sessionId);
    if (!session || !(session.transport instanceof SseServerTransport) || !sameScope(session.scope, scope)) {
      sendJsonRpcError(res, 404, -32001, 'Session not found');
      return;
    }
    const body = await readJsonBody(req, res, this.deps.maxBodyBytes);
    if (body === undefined) return;
    session.lastSeen = Date.now();
    res.writeHead(202).end('Accepted');
    session.transport.receive(body.value);
  }

  /** Forgets a session that ended, giving back its slot. */
  drop(id: string): void {
    const session = this.#sessions.get(id);
    if (!session) return;
    this.#sessions.delete(id);
    session.slot.release();
  }

  /** Closes the sessions that carried no request since `cutoff`, held-open SSE streams too. */
  closeIdle(cutoff: number): void {
    for (const session of this.#sessions.values()) if (session.lastSeen < cutoff) void session.close();
  }

  /** Closes every session, and forgets any that did not say it closed. */
  async closeAll(): Promise<void> {
    await Promise.allSettled(this.all().map((s) => s.close()));
    for (const id of [...this.#sessions.keys()]) this.drop(id);
  }

  /**
   * A slot for a new session of `scope`'s token, or undefined once the refusal was sent: 503
   * naming the limit reached (the gateway's total, or the token's share), recorded in the audit.
   */
  #reserve(res: ServerResponse, scope: SessionScope, client: AuditClient, method: string): SessionSlot | undefined {
    const slot = this.deps.quota.reserve(scope.principal);
    if (!('refused' in slot)) return slot;
    sendSessionRefusal(res, slot.refused);
    this.deps.audit({
      kind: 'request',
      way: scope.way === 'aggregate' ? 'aggregate' : 'per-server',
      ...(scope.way === 'server' ? { server: scope.server } : {}),
      client,
      method,
      outcome: 'denied',
      error: { code: 503, message: slot.refused },
    });
    return undefined;
  }
}

/** A session is only found by the endpoint and the token that opened it. */
function sameScope(a: SessionScope, b: SessionScope): boolean {
  if (a.principal.id !== b.principal.id) return false;
  return a.way === b.way && (a.way === 'aggregate' || a.server === (b as { server: string }).server);
}
