import type { Client, ClientCapabilities, LoggingLevel } from '@modelcontextprotocol/client';
import { Server } from '@modelcontextprotocol/server';
import type { Implementation, ServerContext, Transport } from '@modelcontextprotocol/server';
import type { Backend } from '../backends/backend.js';
import { isBelowLevel } from '../base/log-levels.js';
import type { Logger } from '../base/logger.js';
import { registerFrontHandlers, splitProgressToken, toProtocolError, type FrontRouter } from './front-handlers.js';
import { backendForUri, type RouteView } from './route-view.js';
import { mirrorCapabilities, openUpstreamClient } from './upstream-client.js';

/** What a 2025-era front session needs from the gateway. */
export interface AggregateDeps {
  /** Which backends the session shows, under which names. */
  view: RouteView;
  serverInfo: Implementation;
  logger: Logger;
}

type ListKind = 'tools' | 'prompts' | 'resources';

/**
 * One 2025-era client session (the aggregate, or a per-server endpoint bridged at the MCP
 * level): its own front `Server` (never shared between clients) and, per backend, its own
 * upstream `Client`, opened on first use. Upstream clients advertise the front client's own
 * capabilities, so backends only ask what this client can answer.
 */
export class AggregateSession implements FrontRouter {
  readonly server: Server;
  #upstream = new Map<string, Promise<Client>>();
  /** Front requests in flight per backend, most recent last: where server-to-client requests go. */
  #inFlight = new Map<string, ServerContext[]>();
  #subscriptions = new Set<string>();
  #logLevel?: LoggingLevel;
  #closed = false;
  /** Called once when the session ends, whoever ends it. */
  onclose?: () => void;

  constructor(private readonly deps: AggregateDeps) {
    this.server = new Server(deps.serverInfo, {
      capabilities: {
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        logging: {},
        completions: {},
      },
      instructions: 'Gatehouse aggregates several MCP servers; tool and prompt names are prefixed with the server name and "__".',
    });
    registerFrontHandlers(this.server, deps.view, this);
    this.#registerSessionHandlers();
    this.server.onclose = () => void this.close();
  }

  async connect(transport: Transport): Promise<void> {
    await this.server.connect(transport);
  }

  /** A backend's catalog changed: tell the client to list again. */
  notifyListChanged(kind: ListKind): void {
    if (this.#closed) return;
    const send =
      kind === 'tools'
        ? this.server.sendToolListChanged()
        : kind === 'prompts'
          ? this.server.sendPromptListChanged()
          : this.server.sendResourceListChanged();
    send.catch(() => {});
  }

  /** A backend went away: drop this session's connection to it. */
  async dropBackend(name: string): Promise<void> {
    const client = this.#upstream.get(name);
    this.#upstream.delete(name);
    if (client) await client.then((c) => c.close()).catch(() => {});
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const clients = [...this.#upstream.values()];
    this.#upstream.clear();
    await Promise.allSettled(clients.map((c) => c.then((client) => client.close())));
    await this.server.close().catch(() => {});
    this.onclose?.();
  }

  // --- front handlers ------------------------------------------------------------------------

  /** Handlers of the 2025 era only: session-wide state the 2026-07-28 era carries per request. */
  #registerSessionHandlers(): void {
    const s = this.server;
    const view = this.deps.view;
    s.setRequestHandler('resources/subscribe', async (request, ctx) => {
      const result = await this.forward(backendForUri(view, request.params.uri), ctx, 'resources/subscribe', request.params);
      this.#subscriptions.add(request.params.uri);
      return result;
    });
    s.setRequestHandler('resources/unsubscribe', async (request, ctx) => {
      this.#subscriptions.delete(request.params.uri);
      return this.forward(backendForUri(view, request.params.uri), ctx, 'resources/unsubscribe', request.params);
    });
    s.setRequestHandler('logging/setLevel', async (request) => {
      this.#logLevel = request.params.level;
      await Promise.allSettled([...this.#upstream.values()].map((c) => c.then((client) => this.#applyLogLevel(client))));
      return {};
    });
    s.setNotificationHandler('notifications/roots/list_changed', () => {
      for (const client of this.#upstream.values()) void client.then((c) => c.sendRootsListChanged()).catch(() => {});
    });
  }

  // --- upstream --------------------------------------------------------------------------------

  /** What this session's upstream sessions advertise: the front client's relayable capabilities. */
  capabilities(): ClientCapabilities {
    return mirrorCapabilities(this.server.getClientCapabilities());
  }

  async forward(backend: Backend, ctx: ServerContext, method: string, params: Record<string, unknown>): Promise<never> {
    const client = await this.#client(backend);
    const split = splitProgressToken(params);
    const progressToken = split.progressToken;
    const stack = this.#inFlight.get(backend.name) ?? [];
    stack.push(ctx);
    this.#inFlight.set(backend.name, stack);
    // Progress must reach the client before the result closes the request's stream.
    const relayed: Array<Promise<void>> = [];
    try {
      const result = (await client.request({ method, params: split.params } as never, {
        signal: ctx.mcpReq.signal,
        timeout: backend.requestTimeoutMs,
        resetTimeoutOnProgress: true,
        ...(progressToken !== undefined
          ? {
              onprogress: (progress: Record<string, unknown>) =>
                void relayed.push(
                  ctx.mcpReq.notify({ method: 'notifications/progress', params: { ...progress, progressToken } }).catch(() => {}),
                ),
            }
          : {}),
      })) as never;
      await Promise.all(relayed);
      return result;
    } catch (error) {
      throw toProtocolError(backend.name, error, { method, lost: () => backend.describeLostRequest(method) });
    } finally {
      stack.splice(stack.indexOf(ctx), 1);
    }
  }

  #client(backend: Backend): Promise<Client> {
    let pending = this.#upstream.get(backend.name);
    if (!pending) {
      pending = this.#openClient(backend);
      this.#upstream.set(backend.name, pending);
      pending.catch(() => this.#upstream.delete(backend.name));
    }
    return pending;
  }

  async #openClient(backend: Backend): Promise<Client> {
    const name = backend.name;
    const client = await openUpstreamClient(
      backend,
      { ...this.deps.serverInfo, ...clientSuffix(this.server.getClientVersion()) },
      this.capabilities(),
      {
        toFront: (request) => this.#toFront(name, request),
        onLog: (params) => this.#relayLog(name, params),
        onResourceUpdated: (params) => {
          if (this.#subscriptions.has(params.uri)) void this.server.sendResourceUpdated(params).catch(() => {});
        },
      },
    );
    client.onclose = () => {
      if (this.#upstream.get(name) && !this.#closed) this.#upstream.delete(name);
    };
    await this.#applyLogLevel(client);
    return client;
  }

  async #applyLogLevel(client: Client): Promise<void> {
    if (!this.#logLevel || !client.getServerCapabilities()?.logging) return;
    await client.setLoggingLevel(this.#logLevel).catch(() => {});
  }

  #relayLog(server: string, params: { level: LoggingLevel; logger?: string; data?: unknown }): void {
    if (this.#logLevel && isBelowLevel(params.level, this.#logLevel)) return;
    const logger = params.logger ? `${server}/${params.logger}` : server;
    void this.server.notification({ method: 'notifications/message', params: { ...params, logger } }).catch(() => {});
  }

  /**
   * A backend asks the client something (sampling, elicitation, roots). It goes out on the
   * stream of this session's most recent request to that backend still in flight, so the
   * client sees it in context; without one, on the session's standalone stream.
   */
  async #toFront(server: string, request: { method: string; params?: Record<string, unknown> }): Promise<never> {
    const ctx = this.#inFlight.get(server)?.at(-1);
    const message = { method: request.method, params: request.params ?? {} } as never;
    try {
      return (ctx ? await ctx.mcpReq.send(message) : await this.server.request(message)) as never;
    } catch (error) {
      throw toProtocolError('client', error);
    }
  }
}

function clientSuffix(front: Implementation | undefined): Partial<Implementation> {
  return front ? { title: `Gatehouse for ${front.name} ${front.version}` } : {};
}
