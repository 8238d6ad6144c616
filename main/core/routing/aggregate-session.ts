import { Client, ProtocolError, ProtocolErrorCode, UriTemplate } from '@modelcontextprotocol/client';
import type { ClientCapabilities, LoggingLevel, Prompt, Tool } from '@modelcontextprotocol/client';
import { Server } from '@modelcontextprotocol/server';
import type { Implementation, ServerContext, Transport } from '@modelcontextprotocol/server';
import type { Backend } from '../backends/backend.js';
import { isBelowLevel } from '../base/log-levels.js';
import { errorMessage, type Logger } from '../base/logger.js';
import { filteredToolResult } from './tool-filter.js';
import type { NameTable } from './tool-names.js';

/** What an aggregate session needs from the gateway. */
export interface AggregateDeps {
  /** Enabled backends that are running, in registry order. */
  runningBackends(): Backend[];
  toolNames: NameTable;
  promptNames: NameTable;
  /** The server's tool filter. */
  isToolAllowed(server: string, tool: string): boolean;
  serverInfo: Implementation;
  logger: Logger;
}

type ListKind = 'tools' | 'prompts' | 'resources';

/**
 * One client session of the aggregate endpoint: its own front `Server` (never shared between
 * clients) and, per backend, its own upstream `Client`, opened on first use. Upstream clients
 * advertise the front client's own capabilities, so backends only ask what this client can answer.
 */
export class AggregateSession {
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
    this.#registerHandlers();
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

  #registerHandlers(): void {
    const s = this.server;
    s.setRequestHandler('tools/list', () => ({ tools: this.#listTools() }));
    s.setRequestHandler('tools/call', async (request, ctx) => {
      const exposed = request.params.name;
      const target = this.deps.toolNames.resolve(exposed);
      const backend = target && this.#backend(target.server);
      if (!target || !backend || !backend.catalog?.tools.some((t) => t.name === target.name)) {
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Tool ${exposed} not found`);
      }
      if (!this.deps.isToolAllowed(target.server, target.name)) return filteredToolResult(target.name, target.server);
      return this.#forward(backend, ctx, 'tools/call', { ...request.params, name: target.name });
    });
    s.setRequestHandler('prompts/list', () => ({ prompts: this.#listPrompts() }));
    s.setRequestHandler('prompts/get', async (request, ctx) => {
      const target = this.deps.promptNames.resolve(request.params.name);
      const backend = target && this.#backend(target.server);
      if (!target || !backend) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${request.params.name} not found`);
      return this.#forward(backend, ctx, 'prompts/get', { ...request.params, name: target.name });
    });
    s.setRequestHandler('resources/list', () => ({
      resources: this.deps.runningBackends().flatMap((b) => b.catalog?.resources ?? []),
    }));
    s.setRequestHandler('resources/templates/list', () => ({
      resourceTemplates: this.deps.runningBackends().flatMap((b) => b.catalog?.resourceTemplates ?? []),
    }));
    s.setRequestHandler('resources/read', async (request, ctx) =>
      this.#forward(this.#backendForUri(request.params.uri), ctx, 'resources/read', request.params),
    );
    s.setRequestHandler('resources/subscribe', async (request, ctx) => {
      const result = await this.#forward(this.#backendForUri(request.params.uri), ctx, 'resources/subscribe', request.params);
      this.#subscriptions.add(request.params.uri);
      return result;
    });
    s.setRequestHandler('resources/unsubscribe', async (request, ctx) => {
      this.#subscriptions.delete(request.params.uri);
      return this.#forward(this.#backendForUri(request.params.uri), ctx, 'resources/unsubscribe', request.params);
    });
    s.setRequestHandler('completion/complete', async (request, ctx) => {
      const ref = request.params.ref;
      if (ref.type === 'ref/prompt') {
        const target = this.deps.promptNames.resolve(ref.name);
        const backend = target && this.#backend(target.server);
        if (!target || !backend) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${ref.name} not found`);
        return this.#forward(backend, ctx, 'completion/complete', { ...request.params, ref: { ...ref, name: target.name } });
      }
      const backend = this.deps
        .runningBackends()
        .find((b) => b.catalog?.resourceTemplates.some((t) => t.uriTemplate === ref.uri));
      if (!backend) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Resource template ${ref.uri} not found`);
      return this.#forward(backend, ctx, 'completion/complete', request.params);
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

  #listTools(): Tool[] {
    return this.deps.runningBackends().flatMap((backend) =>
      (backend.catalog?.tools ?? [])
        .filter((tool) => this.deps.isToolAllowed(backend.name, tool.name))
        .map((tool) => ({ ...tool, name: this.deps.toolNames.exposedName(backend.name, tool.name) ?? tool.name })),
    );
  }

  #listPrompts(): Prompt[] {
    return this.deps.runningBackends().flatMap((backend) =>
      (backend.catalog?.prompts ?? []).map((prompt) => ({
        ...prompt,
        name: this.deps.promptNames.exposedName(backend.name, prompt.name) ?? prompt.name,
      })),
    );
  }

  #backend(name: string): Backend | undefined {
    return this.deps.runningBackends().find((b) => b.name === name);
  }

  /** Resources keep their URIs: route by the listed URIs, then by templates. */
  #backendForUri(uri: string): Backend {
    const running = this.deps.runningBackends();
    const listed = running.find((b) => b.catalog?.resources.some((r) => r.uri === uri));
    if (listed) return listed;
    const templated = running.find((b) =>
      b.catalog?.resourceTemplates.some((t) => matchesTemplate(t.uriTemplate, uri)),
    );
    if (templated) return templated;
    const withResources = running.filter((b) => b.catalog?.capabilities.resources);
    if (withResources.length === 1) return withResources[0]!;
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Resource ${uri} not found on any server`);
  }

  // --- upstream --------------------------------------------------------------------------------

  async #forward(backend: Backend, ctx: ServerContext, method: string, params: Record<string, unknown>): Promise<never> {
    const client = await this.#client(backend);
    const { _meta, ...rest } = params as { _meta?: Record<string, unknown> };
    const progressToken = _meta?.progressToken;
    const meta = _meta ? Object.fromEntries(Object.entries(_meta).filter(([k]) => k !== 'progressToken')) : undefined;
    const stack = this.#inFlight.get(backend.name) ?? [];
    stack.push(ctx);
    this.#inFlight.set(backend.name, stack);
    // Progress must reach the client before the result closes the request's stream.
    const relayed: Array<Promise<void>> = [];
    try {
      const result = (await client.request(
        { method, params: { ...rest, ...(meta && Object.keys(meta).length > 0 ? { _meta: meta } : {}) } } as never,
        {
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
        },
      )) as never;
      await Promise.all(relayed);
      return result;
    } catch (error) {
      throw toProtocolError(backend.name, error);
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
    const capabilities = mirrorCapabilities(this.server.getClientCapabilities());
    const client = new Client(
      { ...this.deps.serverInfo, ...clientSuffix(this.server.getClientVersion()) },
      { capabilities },
    );
    const name = backend.name;
    if (capabilities.sampling) client.setRequestHandler('sampling/createMessage', (req) => this.#toFront(name, req));
    if (capabilities.elicitation) client.setRequestHandler('elicitation/create', (req) => this.#toFront(name, req));
    if (capabilities.roots) client.setRequestHandler('roots/list', (req) => this.#toFront(name, req));
    client.setNotificationHandler('notifications/message', (n) => this.#relayLog(name, n.params));
    client.setNotificationHandler('notifications/resources/updated', (n) => {
      if (this.#subscriptions.has(n.params.uri)) void this.server.sendResourceUpdated(n.params).catch(() => {});
    });
    if (backend.config.transport === 'stdio' && backend.config.isolation === 'per-client') {
      // No shared cache client watches per-client processes: this session's list changes count.
      for (const kind of ['tools', 'prompts', 'resources'] as const) {
        client.setNotificationHandler(`notifications/${kind}/list_changed`, () => {
          void backend.refreshCatalog([kind], client).catch(() => {});
        });
      }
    }
    client.onclose = () => {
      if (this.#upstream.get(name) && !this.#closed) this.#upstream.delete(name);
    };
    const transport = await backend.openSessionTransport();
    try {
      await client.connect(transport, { timeout: backend.requestTimeoutMs });
    } catch (error) {
      await transport.close().catch(() => {});
      throw toProtocolError(name, error);
    }
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

function matchesTemplate(template: string, uri: string): boolean {
  try {
    return new UriTemplate(template).match(uri) !== null;
  } catch {
    return false;
  }
}

/** Only the capabilities the gateway can relay, and only those the front client has. */
function mirrorCapabilities(front: ClientCapabilities | undefined): ClientCapabilities {
  const caps: ClientCapabilities = {};
  if (front?.sampling) caps.sampling = front.sampling;
  if (front?.elicitation) caps.elicitation = front.elicitation;
  if (front?.roots) caps.roots = { listChanged: true };
  return caps;
}

function clientSuffix(front: Implementation | undefined): Partial<Implementation> {
  return front ? { title: `Gatehouse for ${front.name} ${front.version}` } : {};
}

/** Keeps a backend's JSON-RPC error as it is; anything else becomes an internal error naming the server. */
function toProtocolError(server: string, error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  return new ProtocolError(ProtocolErrorCode.InternalError, `server "${server}": ${errorMessage(error)}`);
}
