/**
 * The stdio bridge (`gatehouse bridge`): a client-facing transport (stdio, for Claude Desktop,
 * JetBrains AI Assistant, Junie) connected to the gateway's aggregate `/mcp` or one server's
 * `/servers/<name>/mcp` over streamable HTTP. JSON-RPC messages pass both ways unchanged:
 * requests, results, notifications (progress, logging, list_changed), cancellation, and the
 * gateway's own requests to the client (sampling, elicitation, roots).
 *
 * When the gateway restarts, its session is gone: the next message fails (connection refused,
 * or 404 for the unknown session). The bridge then opens a new upstream connection, replays the
 * client's `initialize` (and its `logging/setLevel`) so the client's session carries on, sends
 * the messages it held back meanwhile, answers requests that were lost in flight with an error,
 * and tells the client the lists may have changed. The client never sees the restart except as
 * those errors.
 *
 * While the gateway is down, attempts are spaced by a capped exponential backoff with jitter
 * (250 ms doubling to 5 s), the outage and the recovery are logged once each, and a request
 * held for 30 s is answered with an error saying the gateway is not reachable.
 */
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { JSONRPCMessage, RequestId, Transport } from '@modelcontextprotocol/client';
import { errorMessage, nullLogger, type Logger } from '../base/logger.js';

/** Makes the upstream transport for one connection attempt. */
export type UpstreamFactory = (url: URL, headers: Readonly<Record<string, string>>) => Transport;

/** Options of {@link GatewayBridge}. */
export interface GatewayBridgeOptions {
  /** The gateway endpoint: `.../mcp` or `.../servers/<name>/mcp`. */
  url: URL;
  /**
   * Finds the endpoint again before each connection attempt (the gateway may have restarted on
   * another port); `url` is used when it fails. Default: always `url`.
   */
  locate?: () => Promise<URL>;
  /** The client token, sent as `Authorization: Bearer <token>`; none when the gateway has no tokens. */
  token?: string;
  logger?: Logger;
  /** Default: the SDK's {@link StreamableHTTPClientTransport}. */
  createUpstream?: UpstreamFactory;
  /** First delay between reconnection attempts (doubles up to {@link maxRetryMs}, each spread by jitter). Default 250 ms. */
  initialRetryMs?: number;
  /** The longest delay between attempts. Default 5 s. */
  maxRetryMs?: number;
  /**
   * How long held-back requests wait for the gateway to come back before they are answered with
   * an error. Default 30 s. Reconnection attempts carry on after that.
   */
  holdMs?: number;
}

/** JSON-RPC "internal error": what a request lost to a gateway restart is answered with. */
const INTERNAL_ERROR = -32603;
/** Ids of the bridge's own requests (the replayed `initialize`); a client's ids never look like this. */
const OWN_ID_PREFIX = 'gatehouse-bridge:';

type PendingOwn = { resolve(message: JSONRPCMessage): void; reject(error: Error): void };

/**
 * Forwards between `front` and the gateway. {@link start} starts `front` and returns; the
 * upstream connection opens with the first message. {@link closed} resolves once `front` has
 * closed (the client went away) and the upstream session has been ended.
 */
export class GatewayBridge {
  readonly #front: Transport;
  readonly #opts: Required<Omit<GatewayBridgeOptions, 'token' | 'logger' | 'createUpstream' | 'locate'>> & { token?: string };
  readonly #locate: (() => Promise<URL>) | undefined;
  #url: URL;
  readonly #log: Logger;
  readonly #createUpstream: UpstreamFactory;
  #upstream: Transport | undefined;
  /** Bumped with every upstream connection: messages and failures of an older one are ignored. */
  #generation = 0;
  #connecting: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  /** Answers held requests once they have waited `holdMs`. */
  #holdTimer: NodeJS.Timeout | undefined;
  /** Failed attempts since the gateway last answered: the backoff's exponent. */
  #failures = 0;
  /** Whether the outage was logged (it is, once, until the gateway answers again). */
  #saidDown = false;
  #lastFailure = '';
  /** Messages from the client waiting for an upstream connection, in order. */
  readonly #queue: Array<{ message: JSONRPCMessage; at: number }> = [];
  /** Client requests sent upstream and not answered yet: id → method. */
  readonly #inFlight = new Map<RequestId, string>();
  readonly #own = new Map<string, PendingOwn>();
  #ownSeq = 0;
  #initialize: { id: RequestId; params: unknown } | undefined;
  #initialized = false;
  #protocolVersion: string | undefined;
  #capabilities: Record<string, { listChanged?: boolean } | undefined> = {};
  #logLevel: unknown;
  #stopped = false;
  readonly #closed: Promise<void>;
  #resolveClosed!: () => void;

  /** Resolves when the bridge has stopped (the client closed stdio, or {@link close} was called). */
  get closed(): Promise<void> {
    return this.#closed;
  }

  constructor(front: Transport, opts: Readonly<GatewayBridgeOptions>) {
    this.#front = front;
    this.#opts = {
      url: opts.url,
      initialRetryMs: opts.initialRetryMs ?? 250,
      maxRetryMs: opts.maxRetryMs ?? 5_000,
      holdMs: opts.holdMs ?? 30_000,
      ...(opts.token !== undefined ? { token: opts.token } : {}),
    };
    this.#url = opts.url;
    this.#locate = opts.locate;
    this.#log = opts.logger ?? nullLogger;
    this.#createUpstream =
      opts.createUpstream ?? ((url, headers) => new StreamableHTTPClientTransport(url, { requestInit: { headers: { ...headers } } }));
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  /** Starts the client-facing transport. */
  async start(): Promise<void> {
    this.#front.onmessage = (message) => this.#fromClient(message);
    this.#front.onclose = () => void this.close();
    this.#front.onerror = (error) => this.#log.warn('client transport error', { error: error.message });
    await this.#front.start();
  }

  /** Stops forwarding, ends the upstream session and closes both sides. Idempotent. */
  async close(): Promise<void> {
    if (this.#stopped) return this.#closed;
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#holdTimer);
    for (const pending of this.#own.values()) pending.reject(new Error('bridge closed'));
    this.#own.clear();
    const upstream = this.#upstream;
    this.#upstream = undefined;
    try {
      // Ends the gateway session at once rather than leaving it to idle expiry.
      if (upstream instanceof StreamableHTTPClientTransport) await upstream.terminateSession().catch(() => {});
      await upstream?.close().catch(() => {});
    } finally {
      await this.#front.close().catch(() => {});
      this.#resolveClosed();
    }
  }

  #fromClient(message: JSONRPCMessage): void {
    if (this.#stopped) return;
    if ('method' in message) {
      if ('id' in message) {
        if (message.method === 'initialize') {
          this.#initialize = { id: message.id, params: message.params };
          this.#initialized = false;
        }
        if (message.method === 'logging/setLevel') this.#logLevel = message.params;
        this.#inFlight.set(message.id, message.method);
      } else if (message.method === 'notifications/cancelled') {
        const id = (message.params as { requestId?: RequestId } | undefined)?.requestId;
        if (id !== undefined) this.#inFlight.delete(id);
      }
    }
    this.#queue.push({ message, at: Date.now() });
    this.#pump();
  }

  /** Sends what is queued, or starts connecting first. */
  #pump(): void {
    if (this.#stopped) return;
    const upstream = this.#upstream;
    if (!upstream) {
      this.#connect();
      this.#scheduleHoldExpiry();
      return;
    }
    const generation = this.#generation;
    for (const { message, at } of this.#queue.splice(0)) {
      upstream.send(message).then(
        () => this.#reached(),
        (error: unknown) => this.#sendFailed(message, at, error, generation),
      );
    }
  }

  #sendFailed(message: JSONRPCMessage, at: number, error: unknown, generation: number): void {
    if (this.#stopped) return;
    if (isConnectionLost(error)) {
      // Not processed by the gateway: hold it for the next connection.
      this.#queue.unshift({ message, at });
      if (generation === this.#generation) this.#lost(errorMessage(error));
      else this.#pump();
      return;
    }
    if (isNotReady(error)) {
      // The gateway is up but not ready (a server still starting): send it again after the backoff.
      this.#queue.unshift({ message, at });
      this.#failed(errorMessage(error));
      return;
    }
    // The gateway answered (with a refusal): it is up.
    this.#reached();
    this.#log.warn('the gateway refused a message', { error: errorMessage(error) });
    if ('method' in message && 'id' in message) this.#answerError(message.id, `Gatehouse refused ${message.method}: ${errorMessage(error)}`);
  }

  /** The gateway answered: the outage, if any, is over. */
  #reached(): void {
    this.#failures = 0;
    if (!this.#saidDown) return;
    this.#saidDown = false;
    this.#log.info('reconnected to the gateway', { url: this.#url.href });
  }

  /** An attempt failed: say so if it is news, and try again after the backoff. */
  #failed(reason: string): void {
    this.#failures++;
    this.#lastFailure = reason;
    if (!this.#saidDown) {
      this.#saidDown = true;
      this.#log.warn('cannot reach the gateway; retrying with backoff (requests wait up to 30 s)', { url: this.#url.href, reason });
    } else {
      this.#log.debug('still cannot reach the gateway', { url: this.#url.href, reason, attempt: this.#failures });
    }
    this.#scheduleHoldExpiry();
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#upstream) this.#pump();
      else this.#connect();
    }, this.#retryDelay());
  }

  /** Capped exponential backoff with jitter: between half and all of min(max, initial × 2^(n-1)). */
  #retryDelay(): number {
    const ceiling = Math.min(this.#opts.maxRetryMs, this.#opts.initialRetryMs * 2 ** Math.max(0, this.#failures - 1));
    return Math.round(ceiling * (0.5 + Math.random() / 2));
  }

  /** The upstream connection is gone: drop it, fail what it was handling, reconnect after the backoff. */
  #lost(reason: string): void {
    if (this.#stopped || !this.#upstream) return;
    const old = this.#upstream;
    this.#upstream = undefined;
    this.#generation++;
    void old.close().catch(() => {});
    const queued = new Set(this.#queue.map((q) => ('id' in q.message && 'method' in q.message ? q.message.id : undefined)));
    for (const [id, method] of this.#inFlight) {
      if (!queued.has(id)) this.#answerError(id, `the connection to Gatehouse was lost while it handled ${method}; try again`);
    }
    this.#failed(reason);
  }

  /** Starts a connection attempt now, unless one runs or the backoff is waiting. */
  #connect(): void {
    if (this.#connecting || this.#stopped || this.#retryTimer) return;
    this.#connecting = this.#connectOnce().finally(() => (this.#connecting = undefined));
  }

  async #connectOnce(): Promise<void> {
    const generation = ++this.#generation;
    if (this.#locate) {
      const found = await this.#locate().catch(() => this.#url);
      if (found.href !== this.#url.href) this.#log.info('the gateway is at a new address', { url: found.href });
      this.#url = found;
    }
    const headers: Record<string, string> = this.#opts.token !== undefined ? { Authorization: `Bearer ${this.#opts.token}` } : {};
    const upstream = this.#createUpstream(this.#url, headers);
    upstream.onmessage = (message) => {
      if (generation === this.#generation) this.#fromGateway(message, upstream);
    };
    upstream.onerror = (error) => this.#log.debug('gateway transport error', { error: error.message });
    upstream.onclose = () => {
      if (generation === this.#generation && this.#upstream === upstream) this.#lost('connection closed');
    };
    try {
      await upstream.start();
      // A client that had finished its handshake keeps its session: replay the handshake.
      const replay = this.#initialize !== undefined && this.#initialized;
      if (replay) await this.#handshake(upstream);
      if (this.#stopped || generation !== this.#generation) {
        await upstream.close().catch(() => {});
        return;
      }
      this.#upstream = upstream;
      if (replay) {
        // The handshake went through: the gateway is back, and its lists may have changed.
        const wasDown = this.#saidDown || this.#failures > 0;
        this.#reached();
        if (wasDown) this.#announceListChanges();
      }
      this.#pump();
    } catch (error) {
      await upstream.close().catch(() => {});
      if (this.#stopped) return;
      this.#failed(errorMessage(error));
    }
  }

  /** Replays the client's `initialize`, `notifications/initialized` and log level on a new connection. */
  async #handshake(upstream: Transport): Promise<void> {
    const init = this.#initialize!;
    const result = await this.#ownRequest(upstream, 'initialize', init.params);
    if ('error' in result) throw new Error(`initialize failed: ${JSON.stringify(result.error)}`);
    const version = (('result' in result ? result.result : {}) as { protocolVersion?: string }).protocolVersion ?? this.#protocolVersion;
    if (version) upstream.setProtocolVersion?.(version);
    await upstream.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    if (this.#logLevel !== undefined) await this.#ownRequest(upstream, 'logging/setLevel', this.#logLevel);
  }

  #ownRequest(upstream: Transport, method: string, params: unknown): Promise<JSONRPCMessage> {
    const id = `${OWN_ID_PREFIX}${++this.#ownSeq}`;
    return new Promise<JSONRPCMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#own.delete(id);
        reject(new Error(`no answer to ${method}`));
      }, 10_000);
      this.#own.set(id, {
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      upstream.send({ jsonrpc: '2.0', id, method, ...(params !== undefined ? { params: params as Record<string, unknown> } : {}) }).catch((error: unknown) => {
        this.#own.delete(id);
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
  }

  #fromGateway(message: JSONRPCMessage, upstream: Transport): void {
    if (!('method' in message) && 'id' in message && message.id !== undefined && message.id !== null) {
      const id = message.id;
      const own = typeof id === 'string' ? this.#own.get(id) : undefined;
      if (own) {
        this.#own.delete(id as string);
        own.resolve(message);
        return;
      }
      if (this.#initialize && id === this.#initialize.id && 'result' in message) {
        const result = message.result as { protocolVersion?: string; capabilities?: Record<string, { listChanged?: boolean }> };
        this.#protocolVersion = result.protocolVersion;
        this.#capabilities = result.capabilities ?? {};
        this.#initialized = true;
        if (result.protocolVersion) upstream.setProtocolVersion?.(result.protocolVersion);
      }
      this.#inFlight.delete(id);
    }
    this.#front.send(message).catch((error: unknown) => this.#log.warn('cannot write to the client', { error: errorMessage(error) }));
  }

  /** After a reconnection the gateway's lists may differ (servers restarted): say so. */
  #announceListChanges(): void {
    for (const [capability, method] of [
      ['tools', 'notifications/tools/list_changed'],
      ['prompts', 'notifications/prompts/list_changed'],
      ['resources', 'notifications/resources/list_changed'],
    ] as const) {
      if (this.#capabilities[capability]?.listChanged) void this.#front.send({ jsonrpc: '2.0', method }).catch(() => {});
    }
  }

  /** Arms the timer that answers the oldest held request once it has waited `holdMs`. */
  #scheduleHoldExpiry(): void {
    if (this.#holdTimer || this.#stopped) return;
    const oldest = this.#queue.find((q) => 'method' in q.message && 'id' in q.message);
    if (!oldest) return;
    this.#holdTimer = setTimeout(
      () => {
        this.#holdTimer = undefined;
        this.#expireHeld();
        if (!this.#upstream) this.#scheduleHoldExpiry();
      },
      Math.max(0, oldest.at + this.#opts.holdMs - Date.now()),
    );
  }

  /** Held-back requests that waited `holdMs` are answered with an error; notifications before them are dropped. */
  #expireHeld(): void {
    const now = Date.now();
    const seconds = Math.round(this.#opts.holdMs / 1000);
    while (this.#queue.length > 0 && now - this.#queue[0]!.at >= this.#opts.holdMs) {
      const { message } = this.#queue.shift()!;
      if ('method' in message && 'id' in message) {
        this.#answerError(message.id, `Gatehouse at ${this.#url.href} is not reachable (waited ${seconds} s; last: ${this.#lastFailure}); is the gateway running?`);
      }
    }
  }

  #answerError(id: RequestId, text: string): void {
    this.#inFlight.delete(id);
    void this.#front.send({ jsonrpc: '2.0', id, error: { code: INTERNAL_ERROR, message: text } }).catch(() => {});
  }
}

/** True when the gateway answered 503: up, but not ready for this yet (a server starting, no free session). */
export function isNotReady(error: unknown): boolean {
  return (error as { status?: unknown } | undefined)?.status === 503;
}

/**
 * True when a failed send never reached a live session: the gateway is down (fetch failed,
 * connection refused or reset) or it no longer knows the session (404 after a restart).
 */
export function isConnectionLost(error: unknown): boolean {
  const status = (error as { status?: unknown } | undefined)?.status;
  if (typeof status === 'number') return status === 404;
  if (error instanceof TypeError) return true; // fetch's "fetch failed"
  const text = errorMessage(error);
  return /ECONNREFUSED|ECONNRESET|socket hang up|fetch failed|other side closed|UND_ERR/i.test(text);
}
