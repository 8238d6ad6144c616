import type {
  ClientCapabilities,
  InitializeResult,
  JSONRPCMessage,
  JSONRPCRequest,
  RequestId,
  Transport,
} from '@modelcontextprotocol/client';
import { isJSONRPCErrorResponse, isJSONRPCResultResponse } from '@modelcontextprotocol/client';
import type { LoggingLevel } from '@modelcontextprotocol/client';
import { isBelowLevel } from '../base/log-levels.js';

/**
 * Shares one backend connection (a stdio process) between many client sessions.
 *
 * Each session gets a {@link MuxPort}, a virtual `Transport` with its own JSON-RPC id space.
 * The mux rewrites request ids and progress tokens on the way in and back on the way out,
 * so concurrent sessions never see each other's answers. The backend is initialized once
 * (by the first port); later ports get the cached `initialize` result.
 *
 * Routing rules for what the backend sends:
 * - responses and progress go to the port whose request they belong to;
 * - a server-to-client request (sampling, elicitation, roots) goes to the port with the
 *   most recent request still in flight whose client declared the matching capability;
 *   when no such request is in flight, to the most recently active capable port; when
 *   there is none, the backend gets a JSON-RPC error;
 * - `notifications/resources/updated` goes to the ports subscribed to that URI;
 * - `notifications/message` goes to every port whose requested log level lets it through;
 * - every other notification (list_changed, ...) goes to every port.
 *
 * Shared state is reconciled, never overwritten by one client: the backend's log level is the
 * most verbose any port asked for, and a URI stays subscribed while any port subscribes to it.
 */
export class StdioMux {
  #ports = new Set<MuxPort>();
  #nextId = 1;
  #pending = new Map<number, PendingRequest>();
  #serverRequests = new Map<RequestId, MuxPort>();
  #subscriptions = new Map<string, Set<MuxPort>>();
  #init?: { result: InitializeResult; at: number };
  #initWaiters: Array<() => void> = [];
  #closed = false;
  #backendLevel?: LoggingLevel;

  constructor(private readonly backend: Transport) {
    backend.onmessage = (message) => this.#fromBackend(message);
    backend.onclose = () => this.#onBackendClosed();
  }

  /** The backend's answer to `initialize`, once the first port has completed it. */
  get initializeResult(): InitializeResult | undefined {
    return this.#init?.result;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Opens a virtual transport. `answersServerRequests: false` marks a port that cannot answer
   * sampling/elicitation/roots (the gateway's own tool-cache client).
   */
  openPort(opts: { answersServerRequests?: boolean } = {}): MuxPort {
    const port = new MuxPort(this, opts.answersServerRequests ?? true);
    this.#ports.add(port);
    return port;
  }

  /** Closes every port (the backend transport itself is closed by its owner). */
  closeAll(): void {
    for (const port of [...this.#ports]) void port.close();
  }

  // --- called by ports -------------------------------------------------------------------

  /** @internal */
  async fromPort(port: MuxPort, message: JSONRPCMessage): Promise<void> {
    if (this.#closed) throw new Error('backend connection is closed');
    port.lastActive = Date.now();
    if ('method' in message && 'id' in message) return this.#requestFromPort(port, message);
    if ('method' in message) return this.#notificationFromPort(port, message.method, message.params);
    // A response to a server-to-client request we routed to this port.
    if (message.id !== undefined && this.#serverRequests.get(message.id) === port) {
      this.#serverRequests.delete(message.id);
      await this.backend.send(message);
    }
  }

  /** @internal */
  portClosed(port: MuxPort): void {
    if (!this.#ports.delete(port)) return;
    for (const [globalId, pending] of this.#pending) {
      if (pending.kind !== 'forward' || pending.port !== port) continue;
      this.#pending.delete(globalId);
      this.#sendToBackend(cancelled(globalId, 'client session closed'));
    }
    for (const [id, owner] of this.#serverRequests) {
      if (owner !== port) continue;
      this.#serverRequests.delete(id);
      this.#sendToBackend(errorResponse(id, -32603, 'the client session that was asked has closed'));
    }
    for (const [uri, ports] of this.#subscriptions) {
      if (ports.delete(port) && ports.size === 0) {
        this.#subscriptions.delete(uri);
        this.#internalRequest('resources/unsubscribe', { uri });
      }
    }
    if (port.logLevel) this.#reconcileLogLevel();
  }

  // --- requests from ports ----------------------------------------------------------------

  async #requestFromPort(port: MuxPort, request: JSONRPCRequest): Promise<void> {
    switch (request.method) {
      case 'initialize':
        return this.#initializeFromPort(port, request);
      case 'logging/setLevel': {
        port.logLevel = (request.params as { level?: LoggingLevel } | undefined)?.level;
        this.#reconcileLogLevel();
        return port.deliver({ jsonrpc: '2.0', id: request.id, result: {} });
      }
      case 'resources/subscribe':
      case 'resources/unsubscribe': {
        const uri = String((request.params as { uri?: unknown } | undefined)?.uri ?? '');
        const subscribers = this.#subscriptions.get(uri) ?? new Set<MuxPort>();
        const wasSubscribed = subscribers.size > 0;
        if (request.method === 'resources/subscribe') subscribers.add(port);
        else subscribers.delete(port);
        if (subscribers.size > 0) this.#subscriptions.set(uri, subscribers);
        else this.#subscriptions.delete(uri);
        // Only the first subscriber and the last unsubscriber reach the backend.
        if (wasSubscribed === subscribers.size > 0) return port.deliver({ jsonrpc: '2.0', id: request.id, result: {} });
        return this.#forward(port, request);
      }
      default:
        return this.#forward(port, request);
    }
  }

  async #initializeFromPort(port: MuxPort, request: JSONRPCRequest): Promise<void> {
    const params = request.params as { capabilities?: ClientCapabilities } | undefined;
    port.capabilities = params?.capabilities ?? {};
    if (!this.#init && this.#hasInitInFlight()) await new Promise<void>((r) => this.#initWaiters.push(r));
    if (this.#init) {
      port.initialized = true;
      return port.deliver({ jsonrpc: '2.0', id: request.id, result: this.#init.result });
    }
    return this.#forward(port, request);
  }

  #hasInitInFlight(): boolean {
    for (const pending of this.#pending.values()) if (pending.method === 'initialize') return true;
    return false;
  }

  async #forward(port: MuxPort, request: JSONRPCRequest): Promise<void> {
    const globalId = this.#nextId++;
    const params = request.params ? { ...request.params } : undefined;
    const meta = params?._meta as Record<string, unknown> | undefined;
    let progressToken: string | number | undefined;
    if (meta && meta.progressToken !== undefined) {
      progressToken = meta.progressToken as string | number;
      if (params) params._meta = { ...meta, progressToken: `p${globalId}` };
    }
    this.#pending.set(globalId, {
      kind: 'forward',
      port,
      originalId: request.id,
      method: request.method,
      startedAt: Date.now(),
      progressToken,
    });
    port.inFlight.set(request.id, globalId);
    try {
      await this.backend.send({ ...request, id: globalId, ...(params ? { params } : {}) });
    } catch (error) {
      this.#pending.delete(globalId);
      port.inFlight.delete(request.id);
      throw error;
    }
  }

  /** A request the mux itself makes to keep shared state right; its answer is dropped. */
  #internalRequest(method: string, params: Record<string, unknown>): void {
    const globalId = this.#nextId++;
    this.#pending.set(globalId, { kind: 'internal', method, startedAt: Date.now() });
    this.#sendToBackend({ jsonrpc: '2.0', id: globalId, method, params });
  }

  #reconcileLogLevel(): void {
    let best: LoggingLevel | undefined;
    for (const port of this.#ports) {
      if (port.logLevel && (!best || isBelowLevel(port.logLevel, best))) best = port.logLevel;
    }
    if (!best || best === this.#backendLevel) return;
    this.#backendLevel = best;
    this.#internalRequest('logging/setLevel', { level: best });
  }

  async #notificationFromPort(port: MuxPort, method: string, params: unknown): Promise<void> {
    if (method === 'notifications/initialized') {
      // The backend hears this once, from the port whose initialize reached it.
      if (port.initialized) return;
      port.initialized = true;
      return this.backend.send({ jsonrpc: '2.0', method, ...(params ? { params: params as Record<string, unknown> } : {}) });
    }
    if (method === 'notifications/cancelled') {
      const p = (params ?? {}) as { requestId?: RequestId; reason?: string };
      const globalId = p.requestId === undefined ? undefined : port.inFlight.get(p.requestId);
      if (globalId === undefined) return;
      port.inFlight.delete(p.requestId!);
      this.#pending.delete(globalId);
      return this.backend.send(cancelled(globalId, p.reason));
    }
    return this.backend.send({ jsonrpc: '2.0', method, ...(params ? { params: params as Record<string, unknown> } : {}) });
  }

  // --- messages from the backend -----------------------------------------------------------

  #fromBackend(message: JSONRPCMessage): void {
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) return this.#responseFromBackend(message);
    if ('id' in message && 'method' in message) return this.#requestFromBackend(message);
    if ('method' in message) return this.#notificationFromBackend(message.method, message.params);
  }

  #responseFromBackend(message: JSONRPCMessage & { id?: RequestId }): void {
    const globalId = typeof message.id === 'number' ? message.id : Number(message.id);
    const pending = this.#pending.get(globalId);
    if (!pending) return;
    this.#pending.delete(globalId);
    if (pending.kind === 'internal') return;
    pending.port.inFlight.delete(pending.originalId);
    if (pending.method === 'initialize' && isJSONRPCResultResponse(message)) {
      this.#init = { result: message.result as InitializeResult, at: Date.now() };
      for (const wake of this.#initWaiters.splice(0)) wake();
    } else if (pending.method === 'initialize') {
      for (const wake of this.#initWaiters.splice(0)) wake();
    }
    void pending.port.deliver({ ...message, id: pending.originalId } as JSONRPCMessage);
  }

  #requestFromBackend(request: JSONRPCRequest): void {
    if (request.method === 'ping') {
      this.#sendToBackend({ jsonrpc: '2.0', id: request.id, result: {} });
      return;
    }
    const port = this.#pickPortFor(request.method);
    if (!port) {
      this.#sendToBackend(
        errorResponse(request.id, -32601, `no connected client session can answer ${request.method}`),
      );
      return;
    }
    this.#serverRequests.set(request.id, port);
    void port.deliver(request);
  }

  #pickPortFor(method: string): MuxPort | undefined {
    const capability = CAPABILITY_FOR_METHOD[method];
    const capable = [...this.#ports].filter(
      (p) => p.answersServerRequests && (!capability || p.capabilities?.[capability] !== undefined),
    );
    let best: { port: MuxPort; at: number } | undefined;
    for (const pending of this.#pending.values()) {
      if (pending.kind !== 'forward' || !capable.includes(pending.port)) continue;
      if (!best || pending.startedAt >= best.at) best = { port: pending.port, at: pending.startedAt };
    }
    if (best) return best.port;
    return capable.sort((a, b) => b.lastActive - a.lastActive)[0];
  }

  #notificationFromBackend(method: string, params: Record<string, unknown> | undefined): void {
    const notification = (p = params): JSONRPCMessage => ({ jsonrpc: '2.0', method, ...(p ? { params: p } : {}) });
    switch (method) {
      case 'notifications/progress': {
        const token = params?.progressToken;
        const globalId = typeof token === 'string' && token.startsWith('p') ? Number(token.slice(1)) : NaN;
        const pending = this.#pending.get(globalId);
        if (!pending || pending.kind !== 'forward' || pending.progressToken === undefined) return;
        void pending.port.deliver(notification({ ...params, progressToken: pending.progressToken }));
        return;
      }
      case 'notifications/cancelled': {
        const requestId = params?.requestId as RequestId | undefined;
        const port = requestId === undefined ? undefined : this.#serverRequests.get(requestId);
        if (!port) return;
        this.#serverRequests.delete(requestId!);
        void port.deliver(notification());
        return;
      }
      case 'notifications/resources/updated': {
        const uri = String(params?.uri ?? '');
        for (const port of this.#subscriptions.get(uri) ?? []) void port.deliver(notification());
        return;
      }
      case 'notifications/message': {
        const level = params?.level as LoggingLevel | undefined;
        for (const port of this.#ports) {
          if (port.logLevel && level && isBelowLevel(level, port.logLevel)) continue;
          void port.deliver(notification());
        }
        return;
      }
      default:
        for (const port of this.#ports) void port.deliver(notification());
    }
  }

  #sendToBackend(message: JSONRPCMessage): void {
    this.backend.send(message).catch(() => {
      // The backend is gone; its close handler tells the ports.
    });
  }

  #onBackendClosed(): void {
    this.#closed = true;
    this.#pending.clear();
    for (const wake of this.#initWaiters.splice(0)) wake();
    for (const port of [...this.#ports]) port.backendClosed();
    this.#ports.clear();
  }
}

type PendingRequest =
  | {
      kind: 'forward';
      port: MuxPort;
      originalId: RequestId;
      method: string;
      startedAt: number;
      progressToken?: string | number;
    }
  | { kind: 'internal'; method: string; startedAt: number };

const CAPABILITY_FOR_METHOD: Record<string, keyof ClientCapabilities> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

function cancelled(requestId: RequestId, reason?: string): JSONRPCMessage {
  return { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, ...(reason ? { reason } : {}) } };
}

function errorResponse(id: RequestId, code: number, message: string): JSONRPCMessage {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

/** One client session's view of a shared backend: a `Transport` with its own id space. */
export class MuxPort implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  /** @internal the port's original request id → the mux's id for it. */
  readonly inFlight = new Map<RequestId, number>();
  capabilities?: ClientCapabilities;
  logLevel?: LoggingLevel;
  initialized = false;
  lastActive = Date.now();
  #closed = false;

  constructor(
    private readonly mux: StdioMux,
    readonly answersServerRequests: boolean,
  ) {}

  async start(): Promise<void> {
    if (this.mux.isClosed) throw new Error('backend connection is closed');
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('port is closed'));
    return this.mux.fromPort(this, message);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.mux.portClosed(this);
    this.onclose?.();
  }

  /** @internal */
  async deliver(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return;
    this.onmessage?.(message);
  }

  /** @internal */
  backendClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onclose?.();
  }
}
