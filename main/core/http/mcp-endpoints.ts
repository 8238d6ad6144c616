import type { IncomingMessage, ServerResponse } from 'node:http';
import { toWebRequest } from '@modelcontextprotocol/node';
import { isLegacyRequest, PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server';
import type { Implementation, Transport } from '@modelcontextprotocol/server';
import type { Backend } from '../backends/backend.js';
import type { BackendManager } from '../backends/backend-manager.js';
import type { Logger } from '../base/logger.js';
import { AggregateSession } from '../routing/aggregate-session.js';
import { bridgeTransports } from '../routing/message-bridge.js';
import type { AuditClient, AuditRecordInput, AuditWay } from '../audit/audit-event.js';
import { singleServerRoute, tapTransport, viewRoute, type AuditSink } from '../routing/audit-tap.js';
import { ModernFront } from '../routing/modern-front.js';
import { catalogHasTool, refusingToken, restrictView, singleServerView, type Principal, type RouteView } from '../routing/route-view.js';
import { readJsonBody, sendJsonRpcError, type JsonBody } from './body.js';
import { FrontSessions, type OpenedSession, type SessionScope } from './front-sessions.js';
import type { HttpPassthrough, PassthroughBackend, PassthroughCaller } from './passthrough.js';
import type { SessionQuota } from './session-quota.js';
import { SseServerTransport } from './sse-server-transport.js';

export type { SessionScope } from './front-sessions.js';

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
  /**
   * Sessions that carried no request for this long are closed (their per-client processes with
   * them), held-open legacy SSE streams and pass-through sessions too.
   */
  sessionIdleMs: number;
  /** Where every kind of session is counted, in total and per token (the pass-through shares it). */
  quota: SessionQuota;
  logger: Logger;
}

/**
 * The client-facing MCP endpoints: aggregate `/mcp` and `/sse`, and per-server
 * `/servers/<name>/{mcp,sse,messages}`. Each client session gets its own transport and its own
 * front server or bridge; sessions are found by `Mcp-Session-Id` (streamable HTTP) or the
 * `sessionId` query (legacy SSE), and only within the endpoint that created them.
 */
export class McpEndpoints {
  readonly #sessions: FrontSessions;
  readonly #sweep: NodeJS.Timeout;
  /** The 2026-07-28 face of `/mcp`, and of each per-server endpoint that bridges. */
  readonly #modern: ModernFront;
  readonly #modernPerServer = new Map<string, ModernFront>();
  /** Responses of pass-through requests still open (streams), per token, for revocation. */
  readonly #passthroughResponses = new Map<string, Set<ServerResponse>>();

  constructor(private readonly deps: McpEndpointsDeps) {
    this.#sessions = new FrontSessions({ quota: deps.quota, audit: deps.audit, maxBodyBytes: deps.maxBodyBytes });
    this.#sweep = setInterval(() => this.#closeIdle(), Math.min(deps.sessionIdleMs, 60_000));
    this.#sweep.unref();
    this.#modern = this.#newModernFront(deps.aggregateView, 'aggregate');
  }

  /** `/mcp`: POST, GET and DELETE of the streamable HTTP transport. */
  async aggregateStreamable(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    const body = await this.#bodyOf(req, res);
    if (body === NO_BODY) return;
    if (await this.#isModern(req, body)) return this.#modern.handle(req, res, body!.value, principal, auditClient(req, principal));
    const view = restrictView(this.deps.aggregateView, principal);
    const client = auditClient(req, principal);
    await this.#sessions.streamable(req, res, body?.value, { way: 'aggregate', principal }, client, (transport) =>
      this.#openAggregate(transport, view, 'aggregate', client),
    );
  }

  /** `GET /sse`: a legacy SSE session of the aggregate. */
  async aggregateSse(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    const transport = new SseServerTransport('/messages', res);
    const view = restrictView(this.deps.aggregateView, principal);
    const client = auditClient(req, principal);
    await this.#sessions.sse(req, res, transport, { way: 'aggregate', principal }, client, () => this.#openAggregate(transport, view, 'aggregate', client));
  }

  /** `POST /messages?sessionId=` and `POST /servers/<name>/messages?sessionId=`. */
  sseMessage(req: IncomingMessage, res: ServerResponse, scope: SessionScope): Promise<void> {
    return this.#sessions.message(req, res, scope);
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
        const target = this.#passthroughTarget(backend, principal, res);
        return this.deps.passthrough.handleStreamable(req, res, target, this.#caller(backend.name, principal, client), body);
      }
      if (!this.#isRunning(backend, res)) return;
      if (modern) return this.#modernFor(backend).handle(req, res, body!.value, principal, client);
      // A 2025-era client of a 2026-07-28 HTTP backend gets a session of its own, bridged at
      // the MCP level; other backends are bridged message for message.
      const open = backend.config.transport === 'streamable-http'
        ? (front: Transport) => this.#openAggregate(front, restrictView(this.#singleView(backend), principal), 'per-server', client)
        : (front: Transport) => this.#openBridge(front, backend, principal, client);
      return this.#sessions.streamable(req, res, body?.value, scope, client, open);
    }
    // Legacy SSE: a pass-through to an SSE backend, bridged to anything else.
    if (config.transport === 'sse') {
      const target = this.#passthroughTarget(backend, principal, res);
      const caller = this.#caller(backend.name, principal, client);
      if (endpoint === 'sse') return this.deps.passthrough.handleSseStream(req, res, target, caller);
      return this.deps.passthrough.handleSseMessage(req, res, target, caller);
    }
    if (endpoint === 'messages') return this.sseMessage(req, res, scope);
    if (!this.#isRunning(backend, res)) return;
    const transport = new SseServerTransport(`/servers/${encodeURIComponent(name)}/messages`, res);
    const open = backend.config.transport === 'streamable-http' && backend.protocolEra === 'modern'
      ? () => this.#openAggregate(transport, restrictView(this.#singleView(backend), principal), 'per-server', client)
      : () => this.#openBridge(transport, backend, principal, client);
    return this.#sessions.sse(req, res, transport, scope, client, open);
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
    for (const session of this.#sessions.all()) session.aggregate?.notifyListChanged(kind);
    this.#modern.notifyListChanged(kind);
    for (const modern of this.#modernPerServer.values()) modern.notifyListChanged(kind);
  }

  /** One server's catalog or filter changed: only its per-server clients need to hear it. */
  notifyServerListChanged(name: string, kind: 'tools' | 'prompts' | 'resources'): void {
    const method = `notifications/${kind}/list_changed`;
    for (const session of this.#sessions.all()) {
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
    for (const session of this.#sessions.all()) {
      if (session.scope.way === 'server' && session.scope.server === name) work.push(session.close());
      else session.aggregate && work.push(session.aggregate.dropBackend(name));
    }
    await Promise.allSettled(work);
  }

  /** A token was revoked: end its open sessions at once. */
  async closeSessionsOf(principalId: string): Promise<void> {
    const work: Array<Promise<void>> = [];
    for (const session of this.#sessions.all()) if (session.scope.principal.id === principalId) work.push(session.close());
    this.deps.passthrough.closeSessionsOf(principalId);
    for (const res of this.#passthroughResponses.get(principalId) ?? []) res.destroy();
    this.#passthroughResponses.delete(principalId);
    for (const modern of [this.#modern, ...this.#modernPerServer.values()]) modern.closeRequestsOf(principalId);
    await Promise.allSettled(work);
  }

  async closeAll(): Promise<void> {
    clearInterval(this.#sweep);
    await Promise.allSettled([this.#modern.close(), ...[...this.#modernPerServer.values()].map((m) => m.close())]);
    this.#modernPerServer.clear();
    await this.#sessions.closeAll();
  }

  // ---------------------------------------------------------------------------------------------

  async #openAggregate(
    transport: Transport,
    view: RouteView,
    way: AuditWay,
    client: AuditClient,
  ): Promise<OpenedSession> {
    const aggregate = new AggregateSession({ view, serverInfo: this.deps.serverInfo, logger: this.deps.logger });
    const id = (): string | undefined => transport.sessionId;
    aggregate.onclose = () => {
      const sessionId = id();
      if (sessionId) this.#sessions.drop(sessionId);
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
  ): Promise<OpenedSession> {
    const upstream = await backend.openSessionTransport();
    const frontClose = front.close.bind(front);
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      if (front.sessionId) this.#sessions.drop(front.sessionId);
      await Promise.allSettled([frontClose(), upstream.close()]);
    };
    await bridgeTransports(front, upstream, {
      server: backend.name,
      hasTool: (tool) => catalogHasTool(backend, tool),
      isToolAllowed: (tool) => this.deps.isToolAllowed(backend.name, tool) && principal.isToolAllowed(backend.name, tool),
      refusingToken: (tool) => refusingToken(this.deps.isToolAllowed(backend.name, tool), principal, backend.name, tool),
      requestTimeoutMs: backend.requestTimeoutMs,
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

  /** Who a pass-through request comes from: the token that owns its sessions, and its audit sink. */
  #caller(server: string, principal: Principal, client: AuditClient): PassthroughCaller {
    return {
      owner: { id: principal.id, name: principal.name },
      audit: (event: AuditRecordInput) => this.deps.audit({ ...event, way: 'per-server', server, client }),
    };
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

  /** Closes every session that carried no request for the idle time, legacy SSE streams too. */
  #closeIdle(): void {
    const cutoff = Date.now() - this.deps.sessionIdleMs;
    this.#sessions.closeIdle(cutoff);
    this.deps.passthrough.closeIdle(cutoff);
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
