import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Client, ClientCapabilities, LoggingLevel, Result } from '@modelcontextprotocol/client';
import { toNodeHandler, type NodeMcpRequestHandler } from '@modelcontextprotocol/node';
import {
  CLIENT_CAPABILITIES_META_KEY,
  createMcpHandler,
  LOG_LEVEL_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  Server,
} from '@modelcontextprotocol/server';
import type { AuthInfo, Implementation, McpHttpHandler, ServerContext } from '@modelcontextprotocol/server';
import type { AuditClient, AuditWay } from '../audit/audit-event.js';
import type { Backend } from '../backends/backend.js';
import { tapTransport, viewRoute, type AuditSink } from './audit-tap.js';
import { isBelowLevel } from '../base/log-levels.js';
import { errorMessage, type Logger } from '../base/logger.js';
import { registerFrontHandlers, splitProgressToken, toProtocolError } from './front-handlers.js';
import { ANONYMOUS, backendForUri, restrictView, unionCapabilities, type Principal, type RouteView } from './route-view.js';
import { mirrorCapabilities, openUpstreamClient } from './upstream-client.js';
import { PendingCall, type InputAsk } from './pending-call.js';

export interface ModernFrontDeps {
  view: RouteView;
  way: AuditWay;
  audit: AuditSink;
  serverInfo: Implementation;
  logger: Logger;
  maxBodyBytes: number;
  /** How long a call waiting for the client's input (sampling, elicitation, roots) is kept. */
  inputTimeoutMs?: number;
}

const DEFAULT_INPUT_TIMEOUT_MS = 10 * 60_000;

/**
 * The 2026-07-28 face of one endpoint (the aggregate, or a per-server endpoint bridged at the
 * MCP level): no sessions, one front `Server` per request, built by the SDK's handler.
 *
 * Where the eras meet:
 * - a backend's server-to-client request (2025 style) during a call becomes an
 *   `input_required` result; the client's retry carries the answers and the `requestState`
 *   naming the parked call, which then goes on where it stopped;
 * - a request that declares no input capabilities and no log level shares one upstream
 *   client per backend; the others get their own for the call, advertising what the request
 *   declared and set to its log level (so no client silences another);
 * - list changes and resource updates reach `subscriptions/listen` streams through the
 *   handler's event bus; a listen asking for resource updates subscribes upstream for as long
 *   as its stream is open.
 */
export class ModernFront {
  readonly #handler: McpHttpHandler;
  readonly #node: NodeMcpRequestHandler;
  readonly #parked = new Map<string, PendingCall>();
  readonly #shared = new Map<string, Promise<Client>>();
  readonly #resourceListeners = new Map<string, number>();
  /** Responses still open per token (listen streams, calls under way), for revocation. */
  readonly #open = new Map<string, Set<ServerResponse>>();
  #closed = false;

  constructor(private readonly deps: ModernFrontDeps) {
    this.#handler = createMcpHandler((ctx) => this.#createServer(principalOf(ctx.authInfo), clientOf(ctx.authInfo)), {
      legacy: 'reject',
      maxRequestBodySize: deps.maxBodyBytes,
      onerror: (error) => deps.logger.debug('modern request failed', { error: error.message }),
    });
    this.#node = toNodeHandler(this.#handler, {
      onerror: (error: Error) => deps.logger.warn('modern handler failed', { error: error.message }),
    });
  }

  /** Serves one 2026-07-28 request (already classified, body already parsed). */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    principal: Principal = ANONYMOUS,
    client: AuditClient = {},
  ): Promise<void> {
    const uris = listenedResources(body);
    if (uris.length > 0) this.#listenToResources(restrictView(this.deps.view, principal), uris, res);
    // The SDK hands `req.auth` to the server factory: that is how a request's token reaches it.
    (req as IncomingMessage & { auth?: AuthInfo }).auth = { token: '', clientId: principal.id, scopes: [], extra: { principal, client } };
    const open = this.#open.get(principal.id) ?? new Set<ServerResponse>();
    this.#open.set(principal.id, open.add(res));
    try {
      await this.#node(req, res, body);
    } finally {
      open.delete(res);
      if (open.size === 0 && this.#open.get(principal.id) === open) this.#open.delete(principal.id);
    }
  }

  /** A token was revoked: its open streams end and its parked calls are given up. */
  closeRequestsOf(principalId: string): void {
    for (const res of this.#open.get(principalId) ?? []) res.destroy();
    this.#open.delete(principalId);
    for (const [id, call] of this.#parked) {
      if (call.principal !== principalId) continue;
      this.#parked.delete(id);
      call.abandon('the token was revoked');
    }
  }

  notifyListChanged(kind: 'tools' | 'prompts' | 'resources'): void {
    const notify = this.#handler.notify;
    if (kind === 'tools') notify.toolsChanged();
    else if (kind === 'prompts') notify.promptsChanged();
    else notify.resourcesChanged();
  }

  /** A backend went away: its parked calls fail, its shared client closes. */
  async dropBackend(name: string): Promise<void> {
    for (const [id, call] of this.#parked) {
      if (call.backend !== name) continue;
      this.#parked.delete(id);
      call.abandon(`server "${name}" stopped`);
    }
    const shared = this.#shared.get(name);
    this.#shared.delete(name);
    if (shared) await shared.then((c) => c.close()).catch(() => {});
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const call of this.#parked.values()) call.abandon('the gateway is stopping');
    this.#parked.clear();
    await this.#handler.close().catch(() => {});
    const shared = [...this.#shared.values()];
    this.#shared.clear();
    await Promise.allSettled(shared.map((c) => c.then((client) => client.close())));
  }

  // --- per-request front server ------------------------------------------------------------------

  #createServer(principal: Principal, client: AuditClient): Server {
    const view = restrictView(this.deps.view, principal);
    const server = new Server(this.deps.serverInfo, {
      capabilities: unionCapabilities(view),
      instructions: 'Gatehouse aggregates several MCP servers; tool and prompt names are prefixed with the server name and "__".',
    });
    registerFrontHandlers(server, view, {
      forward: (backend, ctx, method, params) => this.#forward(principal, backend, ctx, method, params),
      capabilities: (ctx) => requestCapabilities(ctx),
    });
    // The SDK connects the instance to the request's own transport: the audit watches that.
    const connect = server.connect.bind(server);
    server.connect = async (transport) => {
      await connect(transport);
      tapTransport(transport, { way: this.deps.way, client: { ...client }, sessionId: () => undefined, route: viewRoute(view) }, this.deps.audit);
    };
    return server;
  }

  async #forward(principal: Principal, backend: Backend, ctx: ServerContext, method: string, params: Record<string, unknown>): Promise<never> {
    const { progressToken, params: upstreamParams } = splitProgressToken(params);
    const state = ctx.mcpReq.requestState<string>();
    let call: PendingCall;
    if (typeof state === 'string') {
      const parked = this.#parked.get(state);
      if (!parked || parked.principal !== principal.id || parked.backend !== backend.name || parked.method !== method) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          'requestState does not name a call waiting for input here (it may have expired); call again without it',
        );
      }
      this.#parked.delete(state);
      call = parked;
      call.resume(ctx, progressToken, ctx.mcpReq.inputResponses ?? {});
    } else {
      call = await this.#start(principal, backend, ctx, method, upstreamParams, progressToken);
    }
    const outcome = await call.next(ctx.mcpReq.signal);
    if (outcome.kind === 'done') return outcome.result as never;
    if (outcome.kind === 'failed') throw toProtocolError(backend.name, outcome.error, { method, lost: () => backend.describeLostRequest(method) });
    return this.#park(call, outcome.asks) as never;
  }

  async #start(
    principal: Principal,
    backend: Backend,
    ctx: ServerContext,
    method: string,
    params: Record<string, unknown>,
    progressToken: string | number | undefined,
  ): Promise<PendingCall> {
    const envelope = (ctx.mcpReq.envelope ?? {}) as Record<string, unknown>;
    const capabilities = requestCapabilities(ctx);
    const level = envelope[LOG_LEVEL_META_KEY] as LoggingLevel | undefined;
    const own = Boolean(capabilities.sampling || capabilities.elicitation || capabilities.roots || level);
    const call = new PendingCall(principal.id, backend.name, method, ctx, progressToken);
    let client: Client;
    try {
      client = own
        ? await openUpstreamClient(backend, this.#clientInfo(), capabilities, {
            toFront: (request) => call.ask(request),
            ...(level ? { onLog: (p) => this.#relayLog(call, backend.name, level, p) } : {}),
          })
        : await this.#sharedClient(backend);
      if (level && client.getServerCapabilities()?.logging) await client.setLoggingLevel(level).catch(() => {});
    } catch (error) {
      throw toProtocolError(backend.name, error);
    }
    const request = client.request({ method, params } as never, {
      signal: call.signal,
      timeout: backend.requestTimeoutMs,
      resetTimeoutOnProgress: true,
      onprogress: (progress: Record<string, unknown>) => call.progress(progress),
    }) as Promise<Result>;
    call.run(own ? request.finally(() => client.close().catch(() => {})) : request);
    return call;
  }

  #park(call: PendingCall, asks: InputAsk[]): Result {
    const id = randomUUID();
    this.#parked.set(id, call);
    call.park(this.deps.inputTimeoutMs ?? DEFAULT_INPUT_TIMEOUT_MS, () => {
      this.#parked.delete(id);
      call.abandon('the client did not answer the request for input in time');
    });
    return {
      resultType: 'input_required',
      inputRequests: Object.fromEntries(asks.map((a) => [a.key, { method: a.method, params: a.params }])),
      requestState: id,
    } as Result;
  }

  #relayLog(call: PendingCall, server: string, level: LoggingLevel, params: { level: LoggingLevel; logger?: string; data?: unknown }): void {
    if (isBelowLevel(params.level, level)) return;
    const logger = params.logger ? `${server}/${params.logger}` : server;
    call.notify({ method: 'notifications/message', params: { ...params, logger } });
  }

  #clientInfo(): Implementation {
    return { ...this.deps.serverInfo };
  }

  /** One upstream client per backend for requests that cannot be asked anything. */
  #sharedClient(backend: Backend): Promise<Client> {
    let pending = this.#shared.get(backend.name);
    if (!pending) {
      pending = openUpstreamClient(backend, this.#clientInfo(), {}, {
        toFront: () => Promise.reject(new Error('this request declared no capability to answer that')),
        onResourceUpdated: (params) => this.#handler.notify.resourceUpdated(params.uri),
      }).then((client) => {
        client.onclose = () => {
          if (this.#shared.get(backend.name) === pending) this.#shared.delete(backend.name);
        };
        return client;
      });
      this.#shared.set(backend.name, pending);
      pending.catch(() => this.#shared.delete(backend.name));
    }
    return pending;
  }

  /** Subscribes upstream to `uris` while the listen stream on `res` stays open (ref-counted). */
  #listenToResources(view: RouteView, allUris: string[], res: ServerResponse): void {
    // Only resources of servers the caller may use.
    const uris = allUris.filter((uri) => {
      try {
        return backendForUri(view, uri) !== undefined;
      } catch {
        return false;
      }
    });
    for (const uri of uris) {
      const count = this.#resourceListeners.get(uri) ?? 0;
      this.#resourceListeners.set(uri, count + 1);
      if (count === 0) void this.#resourceRequest('resources/subscribe', uri);
    }
    res.once('close', () => {
      for (const uri of uris) {
        const count = (this.#resourceListeners.get(uri) ?? 1) - 1;
        if (count > 0) {
          this.#resourceListeners.set(uri, count);
          continue;
        }
        this.#resourceListeners.delete(uri);
        if (!this.#closed) void this.#resourceRequest('resources/unsubscribe', uri);
      }
    });
  }

  async #resourceRequest(method: 'resources/subscribe' | 'resources/unsubscribe', uri: string): Promise<void> {
    try {
      const backend = backendForUri(this.deps.view, uri);
      if (!backend.catalog?.capabilities.resources?.subscribe) return;
      const client = await this.#sharedClient(backend);
      await client.request({ method, params: { uri } });
    } catch (error) {
      this.deps.logger.debug('resource subscription failed', { uri, method, error: errorMessage(error) });
    }
  }
}

/** What a 2026-07-28 request says its client can answer, as an upstream client for it advertises it. */
function requestCapabilities(ctx: ServerContext): ClientCapabilities {
  const envelope = (ctx.mcpReq.envelope ?? {}) as Record<string, unknown>;
  return mirrorCapabilities(envelope[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined);
}

function principalOf(auth: AuthInfo | undefined): Principal {
  return (auth?.extra?.principal as Principal | undefined) ?? ANONYMOUS;
}

function clientOf(auth: AuthInfo | undefined): AuditClient {
  return (auth?.extra?.client as AuditClient | undefined) ?? {};
}

/** The resource URIs a `subscriptions/listen` request asks updates for. */
function listenedResources(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [];
  const message = body as { method?: unknown; params?: { notifications?: { resourceSubscriptions?: unknown } } };
  if (message.method !== 'subscriptions/listen') return [];
  const uris = message.params?.notifications?.resourceSubscriptions;
  return Array.isArray(uris) ? uris.filter((u): u is string => typeof u === 'string') : [];
}
