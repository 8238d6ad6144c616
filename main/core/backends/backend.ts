import { Client } from '@modelcontextprotocol/client';
import type {
  Implementation,
  PriorDiscovery,
  Prompt,
  Resource,
  ResourceTemplateType as ResourceTemplate,
  ServerCapabilities,
  Tool,
  Transport,
} from '@modelcontextprotocol/client';
import type { ServerConfig } from '../../../shared/server-config.js';
import { Emitter } from '../base/emitter.js';
import { errorMessage, type Logger } from '../base/logger.js';
import { ProcessTransport } from './process-transport.js';
import { StdioMux } from './stdio-mux.js';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  RELAYED_CLIENT_CAPABILITIES,
  RemoteConnector,
  spawnStdio,
  type StdioEnvironment,
} from './upstream.js';

export type BackendStatus = 'stopped' | 'starting' | 'running' | 'error';

/** A backend's lifecycle state and why it is in it. */
export interface BackendState {
  status: BackendStatus;
  /** Why the last change happened (error message, exit code, "stopped by user", ...). */
  reason?: string;
  /** When the state last changed (ms since epoch). */
  since: number;
}

/** What a backend offers, fetched once per start and refreshed on list_changed. */
export interface Catalog {
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
  capabilities: ServerCapabilities;
  serverVersion?: Implementation;
  instructions?: string;
}

export interface BackendDeps {
  stdioEnv: StdioEnvironment;
  logger: Logger;
  clientInfo: Implementation;
  /** How long a start (spawn/connect + first listings) may take. */
  startTimeoutMs?: number;
}

const LIST_CHANGED = {
  tools: 'notifications/tools/list_changed',
  prompts: 'notifications/prompts/list_changed',
  resources: 'notifications/resources/list_changed',
} as const;

/**
 * One configured MCP server: starts and stops it, keeps its catalog, and hands out
 * per-session transports to it.
 *
 * - shared stdio: one process; sessions get ports of a {@link StdioMux};
 * - per-client stdio: a process per session (a short probe run at start fills the catalog);
 * - sse / streamable-http: a new upstream connection per session.
 *
 * A failure never throws out of {@link start}: it becomes the `error` state with a reason.
 */
export class Backend {
  readonly #onDidChangeState = new Emitter<BackendState>();
  readonly #onDidChangeCatalog = new Emitter<Catalog>();
  readonly onDidChangeState = this.#onDidChangeState.event;
  readonly onDidChangeCatalog = this.#onDidChangeCatalog.event;

  #state: BackendState = { status: 'stopped', since: Date.now() };
  #catalog?: Catalog;
  #process?: ProcessTransport;
  #mux?: StdioMux;
  #remote?: RemoteConnector;
  #cacheClient?: Client;
  #era?: 'modern' | 'legacy';
  #prior?: PriorDiscovery;
  #sessionTransports = new Set<Transport>();
  #lastStderr: string[] = [];
  #generation = 0;

  constructor(
    readonly name: string,
    readonly config: ServerConfig,
    private readonly deps: BackendDeps,
  ) {}

  get state(): BackendState {
    return this.#state;
  }

  get catalog(): Catalog | undefined {
    return this.#catalog;
  }

  /** The shared process id (stdio, shared isolation), when running. */
  get pid(): number | undefined {
    return this.#process?.pid;
  }

  /** The last lines the server wrote to stderr (and non-protocol stdout lines). */
  stderrTail(lines = 50): string[] {
    return this.#process ? this.#process.stderr.tail(lines) : this.#lastStderr.slice(-lines);
  }

  /** Starts the backend; resolves when it is running or has failed (see {@link state}). */
  async start(): Promise<void> {
    if (this.#state.status === 'running' || this.#state.status === 'starting') return;
    const generation = ++this.#generation;
    this.#setState('starting');
    try {
      await withTimeout(this.#startInner(generation), this.deps.startTimeoutMs ?? 60_000, 'start');
      if (generation !== this.#generation) return;
      this.#setState('running');
    } catch (error) {
      if (generation !== this.#generation) return;
      // A start that timed out may still be running: make it stand down.
      const current = ++this.#generation;
      const tail = this.stderrTail(5).filter((l) => l.trim() !== '');
      const reason = errorMessage(error) + (tail.length > 0 ? ` (stderr: ${tail.join(' | ')})` : '');
      this.deps.logger.warn('backend failed to start', { server: this.name, reason });
      await this.#teardown();
      if (current === this.#generation) this.#setState('error', reason);
    }
  }

  async stop(reason = 'stopped'): Promise<void> {
    this.#generation++;
    const wasActive = this.#state.status !== 'stopped';
    await this.#teardown();
    if (wasActive || this.#state.status !== 'stopped') this.#setState('stopped', reason);
  }

  /**
   * A transport to this backend for one client session. Closing it ends that session's use
   * (and for per-client isolation, stops the session's process).
   */
  async openSessionTransport(): Promise<Transport> {
    if (this.#state.status !== 'running') throw new Error(`server "${this.name}" is ${this.#state.status}`);
    const config = this.config;
    let transport: Transport;
    if (config.transport === 'stdio' && config.isolation === 'shared') transport = this.#mux!.openPort();
    else if (config.transport === 'stdio') transport = spawnStdio(config, this.deps.stdioEnv);
    else transport = this.#remote!.createTransport();
    return this.#tracked(transport);
  }

  /** Re-reads the catalog through `client` (or the backend's own cache client). */
  async refreshCatalog(kinds: ReadonlyArray<keyof typeof LIST_CHANGED> = ['tools', 'prompts', 'resources'], client = this.#cacheClient): Promise<void> {
    if (!client || !this.#catalog) return;
    const next = { ...this.#catalog };
    const caps = next.capabilities;
    if (kinds.includes('tools') && caps.tools) next.tools = await listAll(client, 'tools/list', 'tools');
    if (kinds.includes('prompts') && caps.prompts) next.prompts = await listAll(client, 'prompts/list', 'prompts');
    if (kinds.includes('resources') && caps.resources) {
      next.resources = await listAll(client, 'resources/list', 'resources');
      next.resourceTemplates = await listAll(client, 'resources/templates/list', 'resourceTemplates');
    }
    this.#catalog = next;
    this.#onDidChangeCatalog.fire(next);
  }

  /** Disposes listeners; call after {@link stop}. */
  dispose(): void {
    this.#onDidChangeState.dispose();
    this.#onDidChangeCatalog.dispose();
  }

  // ------------------------------------------------------------------------------------------

  #tracked(transport: Transport): Transport {
    const sessions = this.#sessionTransports;
    sessions.add(transport);
    const close = transport.close.bind(transport);
    transport.close = async () => {
      sessions.delete(transport);
      await close();
    };
    return transport;
  }

  async #startInner(generation: number): Promise<void> {
    const config = this.config;
    const client = this.#newCacheClient();
    let transport: Transport;
    if (config.transport === 'stdio') {
      const proc = spawnStdio(config, this.deps.stdioEnv);
      this.#process = proc;
      proc.onExit = (info) => this.#onProcessExit(proc, generation, info.code, info.signal);
      if (config.isolation === 'shared') {
        await proc.start();
        this.#mux = new StdioMux(proc);
        transport = this.#mux.openPort({ answersServerRequests: false });
      } else {
        transport = proc; // a probe run (started by connect), closed again once the catalog is read
      }
    } else {
      this.#remote = new RemoteConnector(config);
      transport = this.#remote.createTransport();
      transport.onclose = undefined;
    }
    await client.connect(transport, { timeout: this.requestTimeoutMs });
    const catalog = await readCatalog(client);
    if (generation !== this.#generation) {
      await client.close().catch(() => {});
      throw new Error('start was abandoned');
    }
    this.#cacheClient = client;
    this.#catalog = catalog;
    this.#era = client.getProtocolEra() ?? 'legacy';
    const discover = client.getDiscoverResult();
    this.#prior = discover ? { kind: 'modern', discover } : { kind: 'legacy' };
    if (this.#era === 'modern') await this.#listenForChanges(client, catalog);
    this.#onDidChangeCatalog.fire(this.#catalog);
    if (config.transport === 'stdio' && config.isolation === 'per-client') {
      this.#lastStderr = this.#process?.stderr.toArray() ?? [];
      this.#cacheClient = undefined;
      this.#process = undefined;
      await client.close().catch(() => {});
      return;
    }
    // A remote connection that drops outside a stop is an error the user should see.
    client.onclose = () => {
      if (generation === this.#generation && this.#state.status === 'running') {
        this.#setState('error', 'connection to the backend closed');
      }
    };
  }

  #newCacheClient(): Client {
    // Remote backends may speak either protocol era: probe with server/discover, fall back to
    // initialize. Stdio backends are shared through the mux, which speaks the 2025 era every
    // SDK's stdio server accepts.
    const negotiate = this.config.transport !== 'stdio';
    const client = new Client(this.deps.clientInfo, {
      capabilities: RELAYED_CLIENT_CAPABILITIES,
      ...(negotiate ? { versionNegotiation: { mode: 'auto' as const } } : {}),
    });
    for (const [kind, method] of Object.entries(LIST_CHANGED)) {
      client.setNotificationHandler(method, () => {
        this.refreshCatalog([kind as keyof typeof LIST_CHANGED]).catch((error: unknown) => {
          this.deps.logger.warn('catalog refresh failed', { server: this.name, error: errorMessage(error) });
        });
      });
    }
    return client;
  }

  /** The protocol era the backend speaks: `modern` (2026-07-28) or `legacy` (2025), once started. */
  get protocolEra(): 'modern' | 'legacy' | undefined {
    return this.#era;
  }

  /** The era verdict of the last start, so per-session clients skip the probe. */
  get priorDiscovery(): PriorDiscovery | undefined {
    return this.#prior;
  }

  /** A modern backend sends list changes only on a `subscriptions/listen` stream. */
  async #listenForChanges(client: Client, catalog: Catalog): Promise<void> {
    const caps = catalog.capabilities;
    const filter = {
      ...(caps.tools?.listChanged ? { toolsListChanged: true } : {}),
      ...(caps.prompts?.listChanged ? { promptsListChanged: true } : {}),
      ...(caps.resources?.listChanged ? { resourcesListChanged: true } : {}),
    };
    if (Object.keys(filter).length === 0) return;
    await client.listen(filter).catch((error: unknown) => {
      this.deps.logger.warn('cannot listen for list changes', { server: this.name, error: errorMessage(error) });
    });
  }

  /** How long one request to this backend may take (the server's `timeout`, default 60 s). */
  get requestTimeoutMs(): number {
    return this.config.transport === 'stdio' ? DEFAULT_REQUEST_TIMEOUT_MS : (this.config.timeout ?? DEFAULT_REQUEST_TIMEOUT_MS);
  }

  #onProcessExit(proc: ProcessTransport, generation: number, code: number | null, signal: string | null): void {
    if (generation !== this.#generation || proc !== this.#process) return;
    this.#lastStderr = proc.stderr.toArray();
    if (this.#state.status !== 'running') return; // start() reports its own failure
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const tail = proc.stderr.tail(3).filter((l) => l.trim() !== '');
    this.#setState('error', `process exited with ${how}` + (tail.length > 0 ? ` (stderr: ${tail.join(' | ')})` : ''));
    void this.#teardown();
  }

  async #teardown(): Promise<void> {
    const client = this.#cacheClient;
    const proc = this.#process;
    const remote = this.#remote;
    const sessions = [...this.#sessionTransports];
    this.#cacheClient = undefined;
    this.#mux = undefined;
    this.#remote = undefined;
    this.#sessionTransports.clear();
    try {
      await Promise.allSettled(sessions.map((t) => t.close()));
    } finally {
      try {
        if (client) await client.close().catch(() => {});
      } finally {
        if (proc) {
          await proc.close().catch(() => {});
          this.#lastStderr = proc.stderr.toArray();
          if (this.#process === proc) this.#process = undefined;
        }
        if (remote) await remote.close();
      }
    }
  }

  #setState(status: BackendStatus, reason?: string): void {
    this.#state = { status, since: Date.now(), ...(reason ? { reason } : {}) };
    this.#onDidChangeState.fire(this.#state);
  }
}

async function readCatalog(client: Client): Promise<Catalog> {
  const capabilities = client.getServerCapabilities() ?? {};
  const [tools, prompts, resources, resourceTemplates] = await Promise.all([
    capabilities.tools ? listAll(client, 'tools/list', 'tools') : [],
    capabilities.prompts ? listAll(client, 'prompts/list', 'prompts') : [],
    capabilities.resources ? listAll(client, 'resources/list', 'resources') : [],
    capabilities.resources ? listAll(client, 'resources/templates/list', 'resourceTemplates') : [],
  ]);
  const serverVersion = client.getServerVersion();
  const instructions = client.getInstructions();
  return {
    tools: tools as Tool[],
    prompts: prompts as Prompt[],
    resources: resources as Resource[],
    resourceTemplates: resourceTemplates as ResourceTemplate[],
    capabilities,
    ...(serverVersion ? { serverVersion } : {}),
    ...(instructions ? { instructions } : {}),
  };
}

type ListMethod = 'tools/list' | 'prompts/list' | 'resources/list' | 'resources/templates/list';

/** Reads every page of a list (bounded, in case a server hands out cursors forever). */
async function listAll<T>(client: Client, method: ListMethod, key: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = (await client.request({ method, params: cursor ? { cursor } : {} })) as Record<string, unknown>;
    items.push(...((result[key] as T[] | undefined) ?? []));
    cursor = result.nextCursor as string | undefined;
    if (!cursor) break;
  }
  return items;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
