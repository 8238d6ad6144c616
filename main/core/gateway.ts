import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Implementation } from '@modelcontextprotocol/server';
import type { ServerConfig } from '../../shared/server-config.js';
import type { Backend, BackendState } from './backends/backend.js';
import { BackendManager, sameRuntimeConfig, type BackendEvent } from './backends/backend-manager.js';
import type { StdioEnvironment } from './backends/upstream.js';
import { DisposableStore } from './base/disposable.js';
import { errorMessage, type Logger } from './base/logger.js';
import type { Registry } from './config/registry.js';
import { handleAdmin, json, problem, type AdminControl, type ServerView, type ToolView } from './http/admin-api.js';
import { sendJsonRpcError } from './http/body.js';
import { McpEndpoints } from './http/mcp-endpoints.js';
import { HttpPassthrough, type PassthroughBackend } from './http/passthrough.js';
import { hashToken, isHostAllowed, isOriginAllowed, LOOPBACK_HOSTNAMES, presentedToken, tokenMatches } from './http/request-guard.js';
import { aggregateView, ANONYMOUS, type Principal } from './routing/route-view.js';
import { compileToolFilter, type ToolPredicate } from './routing/tool-filter.js';
import { NameTable } from './routing/tool-names.js';

export interface GatewayOptions {
  registry: Registry;
  /** The data directory, for state beside the registry (lazy catalogs, backend pidfile). */
  dataDir?: string;
  /** Address to listen on; 127.0.0.1 unless the user asked otherwise. */
  host: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  stdioEnv: StdioEnvironment;
  logger: Logger;
  version: string;
  /** Token clients must present on the MCP endpoints; none means those endpoints are open. */
  clientToken?: string;
  /** Token the admin API requires; none means the admin API is open. */
  adminToken?: string;
  /** Extra Host names accepted besides localhost, 127.0.0.1 and [::1]. */
  allowedHosts?: string[];
  /** Origins allowed to call the gateway from a browser (none by default). */
  allowedOrigins?: string[];
  maxBodyBytes?: number;
  sessionIdleMs?: number;
  startTimeoutMs?: number;
}

const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/** GATEHOUSE_TOKEN: full access. */
const ENV_PRINCIPAL: Principal = { ...ANONYMOUS, id: 'env', name: 'GATEHOUSE_TOKEN' };

/**
 * The gateway: one HTTP listener in front of every configured MCP server. It owns the
 * backends (started from the registry), the client sessions, and the admin API; the CLI and
 * the Electron shell only build it and call {@link start} and {@link stop}.
 */
export class Gateway implements AdminControl {
  readonly #backends: BackendManager;
  readonly #endpoints: McpEndpoints;
  readonly #passthrough: HttpPassthrough;
  readonly #toolNames: NameTable;
  readonly #promptNames: NameTable;
  readonly #filters = new Map<string, ToolPredicate>();
  readonly #clientHashes: Buffer[];
  readonly #adminHashes: Buffer[];
  readonly #disposables = new DisposableStore();
  readonly #info: Implementation;
  #http?: HttpServer;
  #url?: string;
  #stopping?: Promise<void>;

  constructor(private readonly opts: GatewayOptions) {
    const logger = opts.logger;
    this.#info = { name: 'gatehouse', version: opts.version };
    const maxLength = opts.registry.settings().toolNameMaxLength;
    this.#toolNames = new NameTable({ maxLength });
    this.#promptNames = new NameTable({ maxLength });
    this.#clientHashes = opts.clientToken ? [hashToken(opts.clientToken)] : [];
    this.#adminHashes = opts.adminToken ? [hashToken(opts.adminToken)] : [];
    this.#backends = new BackendManager({
      stdioEnv: opts.stdioEnv,
      logger: logger.child('backend'),
      clientInfo: this.#info,
      ...(opts.startTimeoutMs ? { startTimeoutMs: opts.startTimeoutMs } : {}),
      // Lazy servers' catalogs and the pidfile of running backends live beside the registry.
      ...(opts.dataDir ? { stateDir: opts.dataDir } : {}),
    });
    this.#passthrough = new HttpPassthrough({
      maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      log: (level, msg, fields) => logger[level](msg, fields),
    });
    this.#endpoints = new McpEndpoints({
      backends: this.#backends,
      aggregateView: aggregateView({
        runningBackends: () => this.#backends.running(),
        toolNames: this.#toolNames,
        promptNames: this.#promptNames,
        isToolAllowed: (server, tool) => this.#isToolAllowed(server, tool),
      }),
      serverInfo: this.#info,
      passthrough: this.#passthrough,
      passthroughTarget: (backend) => this.#passthroughTarget(backend),
      isToolAllowed: (server, tool) => this.#isToolAllowed(server, tool),
      maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      sessionIdleMs: opts.sessionIdleMs ?? 30 * 60_000,
      logger: logger.child('endpoints'),
    });
  }

  /** The base URL clients use, once started (e.g. `http://127.0.0.1:7420`). */
  get url(): string | undefined {
    return this.#url;
  }

  /** Starts the listener, then every enabled server; resolves when all starts have settled. */
  async start(): Promise<{ url: string }> {
    this.#disposables.add(this.#backends.onDidChange((event) => this.#onBackendEvent(event)));
    this.#disposables.add(
      this.opts.registry.onDidChange((change) => {
        for (const name of [...change.added, ...change.updated, ...change.removed]) this.#filters.delete(name);
      }),
    );
    const http = createServer((req, res) => {
      this.#route(req, res).catch((error: unknown) => {
        this.opts.logger.error('request failed', { url: req.url, error: errorMessage(error) });
        if (!res.headersSent) sendJsonRpcError(res, 500, -32603, 'internal gateway error');
        else res.end();
      });
    });
    this.#http = http;
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.opts.port, this.opts.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    const address = http.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.#url = `http://${host}:${address.port}`;
    await this.#backends.apply(this.opts.registry.list());
    return { url: this.#url };
  }

  /** Closes client sessions, stops every backend (children included) and the listener. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopInner();
    return this.#stopping;
  }

  async #stopInner(): Promise<void> {
    try {
      await this.#endpoints.closeAll();
    } finally {
      try {
        await this.#passthrough.close();
      } finally {
        try {
          await this.#backends.stopAll();
        } finally {
          this.#disposables.dispose();
          const http = this.#http;
          if (http) {
            http.closeAllConnections();
            await new Promise<void>((resolve) => http.close(() => resolve()));
          }
        }
      }
    }
  }

  // --- AdminControl ----------------------------------------------------------------------------

  listServers(): ServerView[] {
    return this.opts.registry.list().map(({ name }) => this.serverView(name)!);
  }

  serverView(name: string): ServerView | undefined {
    const config = this.opts.registry.get(name);
    if (!config) return undefined;
    const backend = this.#backends.get(name);
    const state: BackendState = backend?.state ?? { status: 'stopped', since: Date.now() };
    const tools = backend?.catalog?.tools ?? [];
    const allowed = tools.filter((t) => this.#isToolAllowed(name, t.name)).length;
    return {
      name,
      transport: config.transport,
      enabled: config.enabled,
      status: config.enabled ? state.status : 'disabled',
      since: state.since,
      toolCount: allowed,
      filteredToolCount: tools.length - allowed,
      ...(state.reason ? { reason: state.reason } : {}),
      ...(state.status === 'error' && state.reason ? { lastError: state.reason } : {}),
      ...(backend?.pid !== undefined ? { pid: backend.pid } : {}),
      ...(state.restarts ? { restarts: state.restarts } : {}),
      ...(state.nextRestartAt !== undefined ? { nextRestartAt: state.nextRestartAt } : {}),
      ...(state.lastExit ? { lastExit: state.lastExit } : {}),
      ...(backend?.isLazy ? { lazy: true, dormant: backend.isDormant } : {}),
      ...(backend?.protocolEra ? { protocolEra: backend.protocolEra } : {}),
      ...(backend
        ? { ways: { legacyClients: this.#endpoints.wayFor(backend, 'legacy'), modernClients: this.#endpoints.wayFor(backend, 'modern') } }
        : {}),
    };
  }

  serverLogs(name: string): string[] | undefined {
    return this.#backends.get(name)?.stderrTail(500);
  }

  serverConfig(name: string): ServerConfig | undefined {
    return this.opts.registry.get(name);
  }

  async addServer(name: string, config: ServerConfig): Promise<ServerView> {
    await this.opts.registry.put(name, config);
    await this.#backends.apply(this.opts.registry.list());
    return this.serverView(name)!;
  }

  async updateServer(name: string, config: ServerConfig): Promise<ServerView> {
    const previous = this.opts.registry.get(name);
    await this.opts.registry.put(name, config);
    if (previous && !sameRuntimeConfig(previous, config)) await this.#endpoints.dropBackend(name);
    await this.#backends.apply(this.opts.registry.list());
    // A filter-only change takes effect at once: clients just need to list again.
    this.#endpoints.notifyListChanged('tools');
    this.#endpoints.notifyServerListChanged(name, 'tools');
    return this.serverView(name)!;
  }

  async removeServer(name: string): Promise<boolean> {
    if (!(await this.opts.registry.remove(name))) return false;
    await this.#endpoints.dropBackend(name);
    await this.#backends.apply(this.opts.registry.list());
    return true;
  }

  async startServer(name: string): Promise<ServerView> {
    const backend = this.#backends.get(name);
    if (backend && backend.config.enabled) await backend.start();
    return this.serverView(name)!;
  }

  async stopServer(name: string): Promise<ServerView> {
    await this.#endpoints.dropBackend(name);
    await this.#backends.get(name)?.stop('stopped by user');
    return this.serverView(name)!;
  }

  async restartServer(name: string): Promise<ServerView> {
    await this.stopServer(name);
    return this.startServer(name);
  }

  listTools(): ToolView[] {
    return this.#backends.all().flatMap((backend) =>
      (backend.catalog?.tools ?? []).map((tool) => {
        const exposed = this.#toolNames.namesFor(backend.name).find((n) => n.name === tool.name);
        return {
          server: backend.name,
          name: tool.name,
          exposedName: exposed?.exposed ?? tool.name,
          shortened: exposed?.shortened ?? false,
          enabled: this.#isToolAllowed(backend.name, tool.name),
          ...(tool.description ? { description: tool.description } : {}),
        };
      }),
    );
  }

  // --- internals -------------------------------------------------------------------------------

  /** Any change to a backend can change what the aggregate lists: rename, then tell clients. */
  #onBackendEvent(event: BackendEvent): void {
    const { logger } = this.opts;
    if (event.kind === 'state') {
      logger.info('server state', { server: event.server, status: event.state.status, reason: event.state.reason });
      // A degraded or sleeping server keeps its sessions; only stop and error end them.
      if (event.state.status === 'stopped' || event.state.status === 'error') void this.#endpoints.dropBackend(event.server);
    }
    const changed = this.#refreshNames();
    for (const kind of ['tools', 'prompts', 'resources'] as const) this.#endpoints.notifyListChanged(kind);
    for (const s of this.#toolNames.shortened()) {
      if (changed.includes(s.server)) logger.info('tool name shortened', { server: s.server, tool: s.name, exposed: s.exposed, reason: s.reason });
    }
  }

  /** Rebuilds the exposed-name tables from the catalogs; returns servers whose names changed. */
  #refreshNames(): string[] {
    const backends = this.#backends.all().filter((b) => b.catalog);
    const changed = this.#toolNames.build(backends.map((b) => ({ server: b.name, names: b.catalog!.tools.map((t) => t.name) })));
    this.#promptNames.build(backends.map((b) => ({ server: b.name, names: b.catalog!.prompts.map((p) => p.name) })));
    return changed;
  }

  /** The server's tool filter as it is in the registry now (compiled once per change). */
  #isToolAllowed(server: string, tool: string): boolean {
    let allowed = this.#filters.get(server);
    if (!allowed) {
      const config = this.opts.registry.get(server);
      if (!config) return false;
      allowed = compileToolFilter(config.toolFilter);
      this.#filters.set(server, allowed);
    }
    return allowed(tool);
  }

  #passthroughTarget(backend: Backend): PassthroughBackend {
    const config = backend.config;
    if (config.transport === 'stdio') throw new Error(`server "${backend.name}" is not a remote server`);
    return {
      name: backend.name,
      url: config.url,
      transport: config.transport,
      headers: config.headers,
      ...(config.timeout !== undefined ? { timeout: config.timeout } : {}),
      ...(config.sseReadTimeout !== undefined ? { sseReadTimeout: config.sseReadTimeout } : {}),
      isToolAllowed: (tool) => this.#isToolAllowed(backend.name, tool),
    };
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const path = url.pathname;
    const allowedHosts = [...LOOPBACK_HOSTNAMES, ...(this.opts.allowedHosts ?? []).map((h) => h.toLowerCase())];
    if (!isHostAllowed(req.headers.host, allowedHosts)) {
      return problem(res, 403, `Host "${req.headers.host ?? ''}" is not allowed (DNS rebinding protection)`);
    }
    if (!isOriginAllowed(req.headers.origin, this.opts.allowedOrigins ?? [])) {
      return problem(res, 403, `Origin "${req.headers.origin}" is not allowed`);
    }
    if (path === '/healthz') {
      const servers = this.listServers();
      const count = (status: string): number => servers.filter((s) => s.status === status).length;
      return json(res, 200, { status: 'ok', servers: { total: servers.length, running: count('running'), degraded: count('degraded'), error: count('error') } });
    }
    if (path === '/admin' || path.startsWith('/admin/')) {
      if (!this.#authorized(req, this.#adminHashes)) return this.#unauthorized(res);
      return handleAdmin(req, res, path, this, this.opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    }
    const isMcpPath = path === '/mcp' || path === '/sse' || path === '/messages' || path.startsWith('/servers/');
    if (!isMcpPath) return problem(res, 404, `nothing at ${path} (endpoints: /mcp, /sse, /servers/<name>/mcp, /servers/<name>/sse, /admin, /healthz)`);
    const principal = this.#principal(req);
    if (!principal) return this.#unauthorized(res);
    if (path === '/mcp') return this.#endpoints.aggregateStreamable(req, res, principal);
    if (path === '/sse' && req.method === 'GET') return this.#endpoints.aggregateSse(req, res, principal);
    if (path === '/messages' && req.method === 'POST') return this.#endpoints.sseMessage(req, res, { way: 'aggregate', principal });
    const match = /^\/servers\/([^/]+)\/(mcp|sse|messages)$/.exec(path);
    if (match) {
      const endpoint = match[2] as 'mcp' | 'sse' | 'messages';
      if (endpoint === 'sse' && req.method !== 'GET') return problem(res, 405, 'use GET on /sse endpoints');
      if (endpoint === 'messages' && req.method !== 'POST') return problem(res, 405, 'use POST on /messages endpoints');
      return this.#endpoints.server(req, res, decodeURIComponent(match[1]!), endpoint, principal);
    }
    return problem(res, 405, `${req.method} is not allowed on ${path}`);
  }

  /** Who a client request comes from, or undefined when its token is missing or unknown. */
  #principal(req: IncomingMessage): Principal | undefined {
    if (this.#clientHashes.length === 0) return ANONYMOUS;
    return tokenMatches(presentedToken(req), this.#clientHashes) ? ENV_PRINCIPAL : undefined;
  }

  #authorized(req: IncomingMessage, hashes: Buffer[]): boolean {
    return hashes.length === 0 || tokenMatches(presentedToken(req), hashes);
  }

  #unauthorized(res: ServerResponse): void {
    // No resource_metadata: advertising OAuth makes clients drop their static token.
    res.setHeader('www-authenticate', 'Bearer');
    problem(res, 401, 'missing or invalid token (send Authorization: Bearer <token> or X-API-Key)');
  }
}
