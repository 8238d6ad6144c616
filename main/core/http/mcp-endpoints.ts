import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport, toWebRequest } from '@modelcontextprotocol/node';
import { isLegacyRequest, PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server';
import type { Implementation, Transport } from '@modelcontextprotocol/server';
import type { Backend } from '../backends/backend.js';
import type { BackendManager } from '../backends/backend-manager.js';
import { errorMessage, type Logger } from '../base/logger.js';
import { AggregateSession } from '../routing/aggregate-session.js';
import { bridgeTransports } from '../routing/message-bridge.js';
import type { AuditClient, AuditRecordInput, AuditWay } from '../audit/audit-event.js';
import { singleServerRoute, tapTransport, viewRoute, type AuditSink } from '../routing/audit-tap.js';
import { ModernFront } from '../routing/modern-front.js';
import { refusingToken, restrictView, singleServerView, type Principal, type RouteView } from '../routing/route-view.js';
import { readJsonBody, sendJsonRpcError, type JsonBody } from './body.js';
import { auditExchange } from './passthrough-audit.js';
import type { HttpPassthrough, PassthroughBackend } from './passthrough.js';
import { SseServerTransport } from './sse-server-transport.js';

/** Which way a client session goes through the gateway, and whose it is. */
export type SessionScope = ({ way: 'aggregate' } | { way: 'server'; server: string }) & { principal: Principal };

interface FrontSession {
  scope: SessionScope;
  transport: NodeStreamableHTTPServerTransport | SseServerTransport;
  aggregate?: AggregateSession;
  lastSeen: number;
  close(): Promise<void>;
}

export interface McpEndpointsDeps {
  /** Where every message's audit event goes. */
  audit: AuditSink;
  backends: BackendManager;
  /** What the aggregate shows: every running backend, names prefixed. */
  aggregateView: RouteView;
  serverInfo: Implementation;
  passthrough: HttpPassthrough;
  passthroughTarget(backend: Backend): PassthroughBackend;
  isToolAllowed(server: string, tool: string): boolean;
  maxBodyBytes: number;
  /** Sessions silent for this long are closed (their per-client processes with them). */
  sessionIdleMs: number;
  /** Open sessions (aggregate and per-server, both transports) before new ones get 503. Default: no limit. */
  maxSessions?: number;
  logger: Logger;
}

/**
 * The client-facing MCP endpoints: aggregate `/mcp` and `/sse`, and per-server
 * `/servers/<name>/{mcp,sse,messages}`. Each client session gets its own transport and its own
 * front server or bridge; sessions are found by `Mcp-Session-Id` (streamable HTTP) or the
 * `sessionId` query (legacy SSE), and only within the endpoint that created them.
 */
export class McpEndpoints {
  readonly #sessions = new Map<string, FrontSession>();
  readonly #sweep: NodeJS.Timeout;
  /** The 2026-07-28 face of `/mcp`, and of each per-server endpoint that bridges. */
  readonly #modern: ModernFront;
  readonly #modernPerServer = new Map<string, ModernFront>();
  /** Responses of pass-through requests still open (streams), per token, for revocation. */
  readonly #passthroughResponses = new Map<string, Set<ServerResponse>>();

  constructor(private readonly deps: McpEndpointsDeps) {
    this.#sweep = setInterval(() => this.#closeIdle(), Math.min(deps.sessionIdleMs, 60_000));
    this.#sweep.unref();
    this.#modern = this.#newModernFront(deps.aggregateView, 'aggregate');
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** `/mcp`: POST, GET and DELETE of the streamable HTTP transport. */
  async aggregateStreamable(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    const body = await this.#bodyOf(req, res);
    if (body === NO_BODY) return;
    if (await this.#isModern(req, body)) return this.#modern.handle(req, res, body!.value, principal, auditClient(req, principal));
    const view = restrictView(this.deps.aggregateView, principal);
    const client = auditClient(req, principal);
    await this.#streamable(req, res, body?.value, { way: 'aggregate', principal }, (transport) => this.#openAggregate(transport, view, 'aggregate', client));
  }

  /** `GET /sse`: a legacy SSE session of the aggregate. */
  async aggregateSse(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    const transport = new SseServerTransport('/messages', res);
    const view = restrictView(this.deps.aggregateView, principal);
    const client = auditClient(req, principal);
    await this.#openSse(res, transport, { way: 'aggregate', principal }, () => this.#openAggregate(transport, view, 'aggregate', client));
  }

  /** `POST /messages?sessionId=` and `POST /servers/<name>/messages?sessionId=`. */
  async sseMessage(req: IncomingMessage, res: ServerResponse, scope: SessionScope): Promise<void> {
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

  /** `/servers/<name>/mcp` and `/servers/<name>/sse`. */
  async server(req: IncomingMessage, res: ServerResponse, name: string, endpoint: 'mcp' | 'sse' | 'messages', principal: Principal): Promise<void> {
    const backend = this.deps.backends.get(name);
    if (!backend || !backend.config.enabled) {
      sendJsonRpcError(res, 404, -32001, backend ? `server "${name}" is disabled` : `unknown server "${name}"`);
      return;
    }
    if (!principal.canUseServer(name)) {
      sendJsonRpcError(res, 403, -32001, `token "${principal.name}" may not use server "${name}"`);
      this.deps.audit({
        kind: 'request',
        way: 'per-server',
        server: name,
        client: auditClient(req, principal),
        outcome: 'denied',
        error: { code: 403, message: `token "${principal.name}" may not use server "${name}"` },
        ...(req.method ? { method: `HTTP ${req.method}` } : {}),
      });
      req.resume();
      return;
    }
    const config = backend.config;
    // A lazy server is stopped until its first use, which this may be.
    if (backend.state.status === 'stopped' && !backend.isLazy) {
      sendJsonRpcError(res, 503, -32001, `server "${name}" is stopped`);
      return;
    }
    const scope: SessionScope = { way: 'server', server: name, principal };
    const client = auditClient(req, principal);
    if (endpoint === 'mcp') {
      const body = await this.#bodyOf(req, res);
      if (body === NO_BODY) return;
      const ours = typeof req.headers['mcp-session-id'] === 'string' && this.#sessions.has(req.headers['mcp-session-id']);
      const modern = !ours && (await this.#isModern(req, body));
      if (!ours && this.wayFor(backend, modern ? 'modern' : 'legacy') === 'passthrough') {
        auditExchange(res, body?.value, this.#serverAudit(backend.name, client));
        return this.deps.passthrough.handleStreamable(req, res, this.#passthroughTarget(backend, principal, res), body);
      }
      if (!this.#isRunning(backend, res)) return;
      if (modern) return this.#modernFor(backend).handle(req, res, body!.value, principal, client);
      // A 2025-era client of a 2026-07-28 HTTP backend gets a session of its own, bridged at
      // the MCP level; other backends are bridged message for message.
      const open = backend.config.transport === 'streamable-http'
        ? (front: Transport) => this.#openAggregate(front, restrictView(this.#singleView(backend), principal), 'per-server', client)
        : (front: Transport) => this.#openBridge(front, backend, principal, client);
      return this.#streamable(req, res, body?.value, scope, open);
    }
    // Legacy SSE: a pass-through to an SSE backend, bridged to anything else.
    if (config.transport === 'sse') {
      const target = this.#passthroughTarget(backend, principal, res);
      auditExchange(res, undefined, this.#serverAudit(backend.name, client));
      if (endpoint === 'sse') return this.deps.passthrough.handleSseStream(req, res, target);
      return this.deps.passthrough.handleSseMessage(req, res, target);
    }
    if (endpoint === 'messages') return this.sseMessage(req, res, scope);
    if (!this.#isRunning(backend, res)) return;
    const transport = new SseServerTransport(`/servers/${encodeURIComponent(name)}/messages`, res);
    const open = backend.config.transport === 'streamable-http' && backend.protocolEra === 'modern'
      ? () => this.#openAggregate(transport, restrictView(this.#singleView(backend), principal), 'per-server', client)
      : () => this.#openBridge(transport, backend, principal, client);
    return this.#openSse(res, transport, scope, open);
  }

  /**
   * How a client of `era` reaches `backend` on its per-server endpoint: a byte-for-byte
   * pass-through where both speak the same protocol era over streamable HTTP, otherwise
   * bridged at the MCP level (stdio, legacy SSE, or eras that differ).
   */
  wayFor(backend: Backend, era: 'modern' | 'legacy'): 'passthrough' | 'bridged' {
    if (backend.config.transport !== 'streamable-http') return 'bridged';
    // A backend not yet probed (or in error) is passed through: it reports its own state.
    const backendEra = backend.protocolEra ?? 'legacy';
    return backendEra === era ? 'passthrough' : 'bridged';
  }

  /** Tells every aggregate session that a list changed. */
  notifyListChanged(kind: 'tools' | 'prompts' | 'resources'): void {
    for (const session of this.#sessions.values()) session.aggregate?.notifyListChanged(kind);
    this.#modern.notifyListChanged(kind);
    for (const modern of this.#modernPerServer.values()) modern.notifyListChanged(kind);
  }

  /** One server's catalog or filter changed: only its per-server clients need to hear it. */
  notifyServerListChanged(name: string, kind: 'tools' | 'prompts' | 'resources'): void {
    const method = `notifications/${kind}/list_changed`;
    for (const session of this.#sessions.values()) {
      if (session.scope.way !== 'server' || session.scope.server !== name) continue;
      if (session.aggregate) session.aggregate.notifyListChanged(kind);
      else void session.transport.send({ jsonrpc: '2.0', method }).catch(() => {});
    }
    this.#modernPerServer.get(name)?.notifyListChanged(kind);
    this.deps.passthrough.notifyListChanged(name, method);
  }

  /** A backend was stopped or removed: end its per-server sessions, drop aggregate connections to it. */
  async dropBackend(name: string): Promise<void> {
    this.deps.passthrough.closeBackend(name);
    const work: Array<Promise<void>> = [this.#modern.dropBackend(name)];
    const perServer = this.#modernPerServer.get(name);
    this.#modernPerServer.delete(name);
    if (perServer) work.push(perServer.close());
    for (const session of this.#sessions.values()) {
      if (session.scope.way === 'server' && session.scope.server === name) work.push(session.close());
      else session.aggregate && work.push(session.aggregate.dropBackend(name));
    }
    await Promise.allSettled(work);
  }

  /** A token was revoked: end its open sessions at once. */
  async closeSessionsOf(principalId: string): Promise<void> {
    const work: Array<Promise<void>> = [];
    for (const session of this.#sessions.values()) if (session.scope.principal.id === principalId) work.push(session.close());
    for (const res of this.#passthroughResponses.get(principalId) ?? []) res.destroy();
    this.#passthroughResponses.delete(principalId);
    for (const modern of [this.#modern, ...this.#modernPerServer.values()]) modern.closeRequestsOf(principalId);
    await Promise.allSettled(work);
  }

  async closeAll(): Promise<void> {
    clearInterval(this.#sweep);
    await Promise.allSettled([this.#modern.close(), ...[...this.#modernPerServer.values()].map((m) => m.close())]);
    this.#modernPerServer.clear();
    await Promise.allSettled([...this.#sessions.values()].map((s) => s.close()));
    this.#sessions.clear();
  }

  // ---------------------------------------------------------------------------------------------

  async #streamable(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    scope: SessionScope,
    open: (transport: NodeStreamableHTTPServerTransport) => Promise<Omit<FrontSession, 'transport' | 'scope' | 'lastSeen'>>,
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
    if (req.method !== 'POST' || !isInitialize(body)) {
      sendJsonRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required (start with an initialize request)');
      return;
    }
    if (this.#refuseOverSessionLimit(res)) return;
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => {
        this.#sessions.set(id, { scope, transport, lastSeen: Date.now(), ...opened });
      },
      onsessionclosed: (id) => {
        const session = this.#sessions.get(id);
        if (session) void session.close();
      },
    });
    let opened: Omit<FrontSession, 'transport' | 'scope' | 'lastSeen'>;
    try {
      opened = await open(transport);
    } catch (error) {
      sendJsonRpcError(res, 502, -32603, errorMessage(error));
      return;
    }
    await transport.handleRequest(req, res, body);
    // An initialize the transport refused leaves no session: release what was opened for it.
    if (transport.sessionId === undefined || !this.#sessions.has(transport.sessionId)) await opened.close();
  }

  async #openSse(
    res: ServerResponse,
    transport: SseServerTransport,
    scope: SessionScope,
    open: () => Promise<Omit<FrontSession, 'transport' | 'scope' | 'lastSeen'>>,
  ): Promise<void> {
    if (this.#refuseOverSessionLimit(res)) return;
    let opened: Omit<FrontSession, 'transport' | 'scope' | 'lastSeen'>;
    try {
      opened = await open();
    } catch (error) {
      // Nothing was written yet, so this can still be a plain error response.
      return sendJsonRpcError(res, 502, -32603, errorMessage(error));
    }
    this.#sessions.set(transport.sessionId, { scope, transport, lastSeen: Date.now(), ...opened });
  }

  async #openAggregate(
    transport: Transport,
    view: RouteView,
    way: AuditWay,
    client: AuditClient,
  ): Promise<Omit<FrontSession, 'transport' | 'scope' | 'lastSeen'>> {
    const aggregate = new AggregateSession({ view, serverInfo: this.deps.serverInfo, logger: this.deps.logger });
    const id = (): string | undefined => transport.sessionId;
    aggregate.onclose = () => {
      const sessionId = id();
      if (sessionId) this.#sessions.delete(sessionId);
    };
    await aggregate.connect(transport);
    tapTransport(transport, { way, client, sessionId: id, route: viewRoute(view) }, this.deps.audit);
    return { aggregate, close: () => aggregate.close() };
  }

  async #openBridge(
    front: Transport,
    backend: Backend,
    principal: Principal,
    client: AuditClient,
  ): Promise<Omit<FrontSession, 'transport' | 'scope' | 'lastSeen'>> {
    const upstream = await backend.openSessionTransport();
    const frontClose = front.close.bind(front);
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      if (front.sessionId) this.#sessions.delete(front.sessionId);
      await Promise.allSettled([frontClose(), upstream.close()]);
    };
    await bridgeTransports(front, upstream, {
      server: backend.name,
      isToolAllowed: (tool) => this.deps.isToolAllowed(backend.name, tool) && principal.isToolAllowed(backend.name, tool),
      refusingToken: (tool) => refusingToken(this.deps.isToolAllowed(backend.name, tool), principal, backend.name, tool),
      onError: (error) => this.deps.logger.debug('bridge error', { server: backend.name, error: error.message }),
      describeLostRequest: (method) => backend.describeLostRequest(method),
    });
    const sessionId = (): string | undefined => front.sessionId;
    tapTransport(front, { way: 'per-server', client, sessionId, route: singleServerRoute(backend.name) }, this.deps.audit);
    const bridgedClose = front.onclose;
    front.onclose = () => {
      bridgedClose?.();
      void close();
    };
    return { close };
  }

  #newModernFront(view: RouteView, way: AuditWay): ModernFront {
    return new ModernFront({ view, way, audit: this.deps.audit, serverInfo: this.deps.serverInfo, logger: this.deps.logger, maxBodyBytes: this.deps.maxBodyBytes });
  }

  #modernFor(backend: Backend): ModernFront {
    let front = this.#modernPerServer.get(backend.name);
    if (!front) {
      front = this.#newModernFront(this.#singleView(backend), 'per-server');
      this.#modernPerServer.set(backend.name, front);
    }
    return front;
  }

  /** An audit sink for one per-server client's exchanges with `server`. */
  #serverAudit(server: string, client: AuditClient): (event: AuditRecordInput) => void {
    return (event) => this.deps.audit({ ...event, way: 'per-server', server, client });
  }

  /** The pass-through target as `principal` may use it; its open responses are tracked for revocation. */
  #passthroughTarget(backend: Backend, principal: Principal, res: ServerResponse): PassthroughBackend {
    const open = this.#passthroughResponses.get(principal.id) ?? new Set<ServerResponse>();
    this.#passthroughResponses.set(principal.id, open.add(res));
    res.once('close', () => {
      open.delete(res);
      if (open.size === 0 && this.#passthroughResponses.get(principal.id) === open) this.#passthroughResponses.delete(principal.id);
    });
    const target = this.deps.passthroughTarget(backend);
    return {
      ...target,
      isToolAllowed: (tool) => target.isToolAllowed(tool) && principal.isToolAllowed(backend.name, tool),
      refusingToken: (tool) => refusingToken(target.isToolAllowed(tool), principal, backend.name, tool),
    };
  }

  #singleView(backend: Backend): RouteView {
    return singleServerView(backend, (tool) => this.deps.isToolAllowed(backend.name, tool));
  }

  #isRunning(backend: Backend, res: ServerResponse): boolean {
    if (backend.isRoutable || backend.isLazy) return true;
    const why = backend.state.reason ? `: ${backend.state.reason}` : '';
    sendJsonRpcError(res, 503, -32001, `server "${backend.name}" is ${backend.state.status}${why}`);
    return false;
  }

  /**
   * Whether a request is of the 2026-07-28 era, decided the way the SDK's own handler decides
   * (a per-request `_meta` envelope claim). Requests of an open 2025 session never are.
   */
  async #isModern(req: IncomingMessage, body: JsonBody | undefined): Promise<boolean> {
    if (!body || typeof req.headers['mcp-session-id'] === 'string') return false;
    // The common cases are decided from the parsed body, as the SDK would; building a web
    // Request for its predicate costs more than the rest of a pass-through hop.
    const claim = envelopeClaim(body.value);
    const header = req.headers['mcp-protocol-version'];
    const modernHeader = typeof header === 'string' && !LEGACY_REVISIONS.has(header);
    if (claim === 'none' && !modernHeader) return false;
    if (claim === 'single') return true;
    const request = await toWebRequest(req, body.value);
    return !(await isLegacyRequest(request, body.value, { maxRequestBodySize: this.deps.maxBodyBytes }));
  }

  /** The body of a POST (undefined for other methods), or NO_BODY once an error was sent. */
  async #bodyOf(req: IncomingMessage, res: ServerResponse): Promise<JsonBody | undefined | typeof NO_BODY> {
    if (req.method !== 'POST') return undefined;
    return (await readJsonBody(req, res, this.deps.maxBodyBytes)) ?? NO_BODY;
  }

  /** 503 when `maxSessions` sessions are open (a limit against exhausting memory and processes). */
  #refuseOverSessionLimit(res: ServerResponse): boolean {
    const max = this.deps.maxSessions;
    if (max === undefined || this.#sessions.size < max) return false;
    res.setHeader('retry-after', '30');
    sendJsonRpcError(res, 503, -32000, `too many open sessions (the limit is ${max}); close a session or try again later`);
    return true;
  }

  #closeIdle(): void {
    const cutoff = Date.now() - this.deps.sessionIdleMs;
    for (const session of this.#sessions.values()) {
      // A legacy SSE stream that is still open is not idle: the client is listening.
      if (session.lastSeen < cutoff && !(session.transport instanceof SseServerTransport)) void session.close();
    }
  }
}

const NO_BODY = Symbol('no body');

/** The 2025-era revisions: an `MCP-Protocol-Version` header naming one of these makes no modern claim. */
const LEGACY_REVISIONS = new Set(['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25']);

/**
 * Whether a body carries the 2026-07-28 envelope claim (`_meta` protocol version): `single`
 * for one request or notification that does, `none` when no message does, `mixed` otherwise
 * (batches with claims are left to the SDK's own predicate).
 */
function envelopeClaim(body: unknown): 'none' | 'single' | 'mixed' {
  const claims = (message: unknown): boolean => {
    const meta = (message as { params?: { _meta?: Record<string, unknown> } } | null)?.params?._meta;
    return typeof meta === 'object' && meta !== null && PROTOCOL_VERSION_META_KEY in meta;
  };
  if (Array.isArray(body)) return body.some(claims) ? 'mixed' : 'none';
  return claims(body) ? 'single' : 'none';
}

/** Who is on the other end of a request, for the audit: never the token, only its name. */
export function auditClient(req: IncomingMessage, principal: Principal): AuditClient {
  const userAgent = req.headers['user-agent'];
  return {
    tokenName: principal.name,
    ...(req.socket.remoteAddress ? { ip: req.socket.remoteAddress } : {}),
    ...(userAgent ? { userAgent } : {}),
  };
}

/** A session is only found by the endpoint and the token that opened it. */
function sameScope(a: SessionScope, b: SessionScope): boolean {
  if (a.principal.id !== b.principal.id) return false;
  return a.way === b.way && (a.way === 'aggregate' || a.server === (b as { server: string }).server);
}

function isInitialize(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((m) => typeof m === 'object' && m !== null && (m as { method?: unknown }).method === 'initialize');
}
