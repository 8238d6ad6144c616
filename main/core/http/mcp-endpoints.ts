import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import type { Transport } from '@modelcontextprotocol/server';
import type { Backend } from '../backends/backend.js';
import type { BackendManager } from '../backends/backend-manager.js';
import { errorMessage, type Logger } from '../base/logger.js';
import { AggregateSession, type AggregateDeps } from '../routing/aggregate-session.js';
import { bridgeTransports } from '../routing/message-bridge.js';
import { parseJsonRpcBody, readBody, sendJsonRpcError } from './body.js';
import type { HttpPassthrough, PassthroughBackend } from './passthrough.js';
import { SseServerTransport } from './sse-server-transport.js';

/** Which way a client session goes through the gateway. */
export type SessionScope = { way: 'aggregate' } | { way: 'server'; server: string };

interface FrontSession {
  scope: SessionScope;
  transport: NodeStreamableHTTPServerTransport | SseServerTransport;
  aggregate?: AggregateSession;
  lastSeen: number;
  close(): Promise<void>;
}

export interface McpEndpointsDeps {
  backends: BackendManager;
  aggregate: AggregateDeps;
  passthrough: HttpPassthrough;
  passthroughTarget(backend: Backend): PassthroughBackend;
  isToolAllowed(server: string, tool: string): boolean;
  maxBodyBytes: number;
  /** Sessions silent for this long are closed (their per-client processes with them). */
  sessionIdleMs: number;
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

  constructor(private readonly deps: McpEndpointsDeps) {
    this.#sweep = setInterval(() => this.#closeIdle(), Math.min(deps.sessionIdleMs, 60_000));
    this.#sweep.unref();
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** `/mcp`: POST, GET and DELETE of the streamable HTTP transport. */
  async aggregateStreamable(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await this.#streamable(req, res, { way: 'aggregate' }, (transport) => this.#openAggregate(transport));
  }

  /** `GET /sse`: a legacy SSE session of the aggregate. */
  async aggregateSse(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const transport = new SseServerTransport('/messages', res);
    await this.#openSse(res, transport, { way: 'aggregate' }, () => this.#openAggregate(transport));
  }

  /** `POST /messages?sessionId=` and `POST /servers/<name>/messages?sessionId=`. */
  async sseMessage(req: IncomingMessage, res: ServerResponse, scope: SessionScope): Promise<void> {
    const sessionId = new URL(req.url ?? '/', 'http://localhost').searchParams.get('sessionId') ?? '';
    const session = this.#sessions.get(sessionId);
    if (!session || !(session.transport instanceof SseServerTransport) || !sameScope(session.scope, scope)) {
      sendJsonRpcError(res, 404, -32001, 'Session not found');
      return;
    }
    const body = await this.#readJson(req, res);
    if (body === undefined) return;
    session.lastSeen = Date.now();
    res.writeHead(202).end('Accepted');
    session.transport.receive(body);
  }

  /** `/servers/<name>/mcp` and `/servers/<name>/sse`. */
  async server(req: IncomingMessage, res: ServerResponse, name: string, endpoint: 'mcp' | 'sse' | 'messages'): Promise<void> {
    const backend = this.deps.backends.get(name);
    if (!backend || !backend.config.enabled) {
      sendJsonRpcError(res, 404, -32001, backend ? `server "${name}" is disabled` : `unknown server "${name}"`);
      return;
    }
    const config = backend.config;
    if (backend.state.status === 'stopped') {
      sendJsonRpcError(res, 503, -32001, `server "${name}" is stopped`);
      return;
    }
    // Same transport on both sides: a streaming pass-through, payloads untouched. A remote
    // backend in error is still tried: the pass-through reports what the backend says now.
    if (config.transport !== 'stdio' && (config.transport === 'sse') === (endpoint !== 'mcp')) {
      const target = this.deps.passthroughTarget(backend);
      if (endpoint === 'mcp') return this.deps.passthrough.handleStreamable(req, res, target);
      if (endpoint === 'sse') return this.deps.passthrough.handleSseStream(req, res, target);
      return this.deps.passthrough.handleSseMessage(req, res, target);
    }
    const scope: SessionScope = { way: 'server', server: name };
    if (endpoint === 'messages') return this.sseMessage(req, res, scope);
    if (backend.state.status !== 'running') {
      const why = backend.state.reason ? `: ${backend.state.reason}` : '';
      sendJsonRpcError(res, 503, -32001, `server "${name}" is ${backend.state.status}${why}`);
      return;
    }
    const open = (front: Transport) => this.#openBridge(front, backend);
    if (endpoint === 'mcp') return this.#streamable(req, res, scope, open);
    const transport = new SseServerTransport(`/servers/${encodeURIComponent(name)}/messages`, res);
    return this.#openSse(res, transport, scope, () => open(transport));
  }

  /** Tells every aggregate session that a list changed. */
  notifyListChanged(kind: 'tools' | 'prompts' | 'resources'): void {
    for (const session of this.#sessions.values()) session.aggregate?.notifyListChanged(kind);
  }

  /** A backend was stopped or removed: end its per-server sessions, drop aggregate connections to it. */
  async dropBackend(name: string): Promise<void> {
    this.deps.passthrough.closeBackend(name);
    const work: Array<Promise<void>> = [];
    for (const session of this.#sessions.values()) {
      if (session.scope.way === 'server' && session.scope.server === name) work.push(session.close());
      else session.aggregate && work.push(session.aggregate.dropBackend(name));
    }
    await Promise.allSettled(work);
  }

  async closeAll(): Promise<void> {
    clearInterval(this.#sweep);
    await Promise.allSettled([...this.#sessions.values()].map((s) => s.close()));
    this.#sessions.clear();
  }

  // ---------------------------------------------------------------------------------------------

  async #streamable(
    req: IncomingMessage,
    res: ServerResponse,
    scope: SessionScope,
    open: (transport: NodeStreamableHTTPServerTransport) => Promise<Omit<FrontSession, 'transport' | 'scope' | 'lastSeen'>>,
  ): Promise<void> {
    let body: unknown;
    if (req.method === 'POST') {
      body = await this.#readJson(req, res);
      if (body === undefined) return;
    }
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
    let opened: Omit<FrontSession, 'transport' | 'scope' | 'lastSeen'>;
    try {
      opened = await open();
    } catch (error) {
      // Nothing was written yet, so this can still be a plain error response.
      return sendJsonRpcError(res, 502, -32603, errorMessage(error));
    }
    this.#sessions.set(transport.sessionId, { scope, transport, lastSeen: Date.now(), ...opened });
  }

  async #openAggregate(transport: Transport): Promise<Omit<FrontSession, 'transport' | 'scope' | 'lastSeen'>> {
    const aggregate = new AggregateSession(this.deps.aggregate);
    const id = (): string | undefined => transport.sessionId;
    aggregate.onclose = () => {
      const sessionId = id();
      if (sessionId) this.#sessions.delete(sessionId);
    };
    await aggregate.connect(transport);
    return { aggregate, close: () => aggregate.close() };
  }

  async #openBridge(front: Transport, backend: Backend): Promise<Omit<FrontSession, 'transport' | 'scope' | 'lastSeen'>> {
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
      isToolAllowed: (tool) => this.deps.isToolAllowed(backend.name, tool),
      onError: (error) => this.deps.logger.debug('bridge error', { server: backend.name, error: error.message }),
    });
    const bridgedClose = front.onclose;
    front.onclose = () => {
      bridgedClose?.();
      void close();
    };
    return { close };
  }

  async #readJson(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const raw = await readBody(req, this.deps.maxBodyBytes);
    if (!raw.ok) {
      sendJsonRpcError(res, raw.status, raw.status === 413 ? -32600 : -32700, raw.message);
      return undefined;
    }
    const parsed = parseJsonRpcBody(raw.raw);
    if (!parsed.ok) {
      sendJsonRpcError(res, 400, -32700, parsed.message);
      return undefined;
    }
    return parsed.value;
  }

  #closeIdle(): void {
    const cutoff = Date.now() - this.deps.sessionIdleMs;
    for (const session of this.#sessions.values()) {
      // A legacy SSE stream that is still open is not idle: the client is listening.
      if (session.lastSeen < cutoff && !(session.transport instanceof SseServerTransport)) void session.close();
    }
  }
}

function sameScope(a: SessionScope, b: SessionScope): boolean {
  return a.way === b.way && (a.way === 'aggregate' || a.server === (b as { server: string }).server);
}

function isInitialize(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((m) => typeof m === 'object' && m !== null && (m as { method?: unknown }).method === 'initialize');
}
