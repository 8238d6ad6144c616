import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Implementation } from '@modelcontextprotocol/server';
import type { ServerConfig } from '../../shared/server-config.js';
import type { AuditEvent, AuditRecordInput } from './audit/audit-event.js';
import { lifecycleAuditEvent } from './audit/lifecycle-event.js';
import type { Backend } from './backends/backend.js';
import type { BackendState } from './backends/backend-state.js';
import { BackendManager, sameRuntimeConfig, type BackendEvent } from './backends/backend-manager.js';
import type { StdioEnvironment } from './backends/upstream.js';
import { DisposableStore } from './base/disposable.js';
import { Emitter, type Event } from './base/emitter.js';
import { errorMessage, type Logger } from './base/logger.js';
import type { Registry } from './config/registry.js';
import { handleAdmin, json, problem, type AdminControl, type ServerView, type SettingsUpdate, type ToolView } from './http/admin-api.js';
import { handleAuditRequest, type AuditSource } from './http/audit-api.js';
import { sendJsonRpcError } from './http/body.js';
import { McpAdmission, type McpTarget } from './http/mcp-admission.js';
import { McpEndpoints } from './http/mcp-endpoints.js';
import { HttpPassthrough, type PassthroughBackend } from './http/passthrough.js';
import { SessionQuota } from './http/session-quota.js';
import { RequestAuth } from './http/request-auth.js';
import { checkRequest, malformedPathSegment, sendForbidden, type GuardPolicy, type RequestArea } from './http/request-guard.js';
import { handleSecurityAdminRequest, type SecurityAdminDeps } from './http/token-api.js';
import type { ClientInstallDeps } from './http/client-install-api.js';
import { localUrl } from './http/local-url.js';
import { handleUiAdminRequest } from './http/ui-admin-routes.js';
import { AdminToolCaller } from './routing/admin-tool-call.js';
import { describeTarget } from './security/describe-target.js';
import { defaultUiDir, isUiPath, serveUi } from './http/ui-static.js';
import { ApprovalGate } from './security/approval-gate.js';
import type { ApprovalStore } from './security/approvals.js';
import { applyLimitsPatch, LimitsInForce } from './security/limit-settings.js';
import { applyHttpLimits, connectionsCheckingIntervalMs, type GatewayLimits } from './security/limits.js';
import { RateLimiter } from './security/rate-limit.js';
import { findSecretRefs, resolveSecretRefs } from './security/secret-refs.js';
import type { SecretStore } from './security/secret-store.js';
import { TokenStore } from './security/token-store.js';
import { aggregateView, catalogHasTool } from './routing/route-view.js';
import { compileToolFilter, type ToolPredicate } from './routing/tool-filter.js';
import { NameTable } from './routing/tool-names.js';
import { OAuthBroker } from './oauth/broker.js';
import { handleOAuthAdminRequest, handleOAuthCallback } from './oauth/oauth-routes.js';
import { MemorySecretStore } from './security/secret-store.js';
import { defaultSecretStoreStatus } from './security/secret-store-status.js';
import type { GatewayInfo, GatewaySettings, SecretStoreStatus } from '../../shared/control-api.js';

export interface GatewayOptions {
  registry: Registry;
  /** The audit timeline: every message and backend lifecycle event is recorded there. */
  audit?: AuditSource & { record(event: AuditRecordInput): unknown };
  /** The data directory, for state beside the registry (lazy catalogs, backend pidfile). */
  dataDir?: string;
  /** Address to listen on; 127.0.0.1 unless the user asked otherwise. */
  host: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  stdioEnv: StdioEnvironment;
  logger: Logger;
  version: string;
  /**
   * Client and admin tokens. While no client token exists the MCP endpoints are open (loopback
   * only, as `serve` enforces); while no admin token exists the admin API is. Without a store, an
   * in-memory one holds {@link clientToken} and {@link adminToken}.
   */
  tokens?: TokenStore;
  /** Full-access client token (as `GATEHOUSE_TOKEN`); used only when {@link tokens} is absent. */
  clientToken?: string;
  /** Admin token (as `GATEHOUSE_ADMIN_TOKEN`); used only when {@link tokens} is absent. */
  adminToken?: string;
  /** Where `${secret:NAME}` references are resolved at launch; without it every reference is missing. */
  secrets?: SecretStore;
  /**
   * Launch approvals of stdio servers. With it, a stdio server whose launch spec was not
   * approved stays `stopped` ("waiting for approval: ...") until it is; without it, all start.
   */
  approvals?: ApprovalStore;
  /** Extra Host names accepted besides localhost, 127.0.0.1 and [::1] on the gateway's port. */
  allowedHosts?: string[];
  /** Origins allowed to call the gateway from a browser (none by default; /admin also allows its own). */
  allowedOrigins?: string[];
  /**
   * Overrides of {@link GatewayLimits} (body size, sessions, rate, timeouts), as `serve` flags
   * give them: they win over the limits saved in the registry's settings, which win over the
   * defaults.
   */
  limits?: Partial<GatewayLimits>;
  /** Same as `limits.maxBodyBytes`. */
  maxBodyBytes?: number;
  /** Same as `limits.sessionIdleMs`. */
  sessionIdleMs?: number;
  startTimeoutMs?: number;
  /** The built control UI served at `/` (default `dist/renderer`, see `ui-static.ts`). */
  uiDir?: string;
  /** Opens an OAuth sign-in page in the user's browser (the Electron shell); headless prints the URL instead. */
  openUrl?: (url: string) => void | Promise<void>;
  /** Waits between failed OAuth token refreshes (tests shorten them); default 1, 2, 4, 8, 16 s. */
  oauthRetryDelaysMs?: readonly number[];
  /** What `GET /admin/info` says about {@link secrets} (asked at each request); default from the store's class. */
  secretStoreStatus?: () => SecretStoreStatus;
  /** Run by the desktop app (shown in `GET /admin/info`); default false. */
  desktop?: boolean;
  /**
   * Whose AI clients the Clients screen's "Install" configures (home folder, OS, environment)
   * and how stdio clients start the bridge. Without it, `/admin/clients/...` answers 404.
   */
  clientInstall?: Pick<ClientInstallDeps, 'installEnv' | 'bridgeCommand'>;
}

/** How often the gateway re-reads tokens and approvals written by another process (the CLI). */
const SECURITY_POLL_MS = 2_000;

/**
 * The gateway: one HTTP listener in front of every configured MCP server. It owns the
 * backends (started from the registry), the client sessions, and the admin API; the CLI and
 * the Electron shell only build it and call {@link start} and {@link stop}.
 */
export class Gateway implements AdminControl {
  readonly #backends: BackendManager;
  readonly #endpoints: McpEndpoints;
  readonly #passthrough: HttpPassthrough;
  readonly #oauth: OAuthBroker;
  readonly #toolNames: NameTable;
  readonly #promptNames: NameTable;
  readonly #filters = new Map<string, ToolPredicate>();
  readonly #tokens: TokenStore;
  /** Flags over settings over defaults; the live ones follow the settings while running. */
  readonly #limitsInForce: LimitsInForce;
  readonly #rate: RateLimiter;
  /** Who may call: client and admin tokens. */
  readonly #auth: RequestAuth;
  /** What a client request passes before an endpoint: its body checked, its cost taken from the rate. */
  readonly #admission: McpAdmission;
  readonly #approvalGate: ApprovalGate;
  /** The control UI's "Try it" calls. */
  readonly #toolCaller: AdminToolCaller;
  #port = 0;
  readonly #disposables = new DisposableStore();
  readonly #info: Implementation;
  #http?: HttpServer;
  #url?: string;
  #stopping?: Promise<void>;
  readonly #onDidChangeServers = new Emitter<void>();
  /**
   * Fired when what {@link listServers} answers may have changed (a state, a catalog, the
   * registry). The tray rebuilds its menu on it; nothing polls.
   */
  readonly onDidChangeServers: Event<void> = this.#onDidChangeServers.event;

  constructor(private readonly opts: GatewayOptions) {
    const logger = opts.logger;
    this.#info = { name: 'gatehouse', version: opts.version };
    const maxLength = opts.registry.settings().toolNameMaxLength;
    this.#toolNames = new NameTable({ maxLength });
    this.#promptNames = new NameTable({ maxLength });
    this.#tokens =
      opts.tokens ?? TokenStore.inMemory({ env: { GATEHOUSE_TOKEN: opts.clientToken, GATEHOUSE_ADMIN_TOKEN: opts.adminToken } });
    const flags = {
      ...opts.limits,
      ...(opts.maxBodyBytes !== undefined ? { maxBodyBytes: opts.maxBodyBytes } : {}),
      ...(opts.sessionIdleMs !== undefined ? { sessionIdleMs: opts.sessionIdleMs } : {}),
    };
    this.#limitsInForce = new LimitsInForce(flags, opts.registry.settings().limits);
    const limits = this.#limitsInForce.current;
    this.#rate = new RateLimiter({ ratePerSecond: limits.ratePerSecond, burst: limits.rateBurst });
    this.#auth = new RequestAuth(this.#tokens);
    this.#admission = new McpAdmission({ limits: () => this.#limits, rate: this.#rate, audit: (event) => this.#audit(event) });
    const secrets = opts.secrets ?? { get: () => Promise.resolve(undefined) };
    // OAuth tokens live in the secret store; without one (tests), in memory.
    this.#oauth = new OAuthBroker({
      secrets: opts.secrets ?? new MemorySecretStore(),
      logger: logger.child('oauth'),
      baseUrl: () => this.#url,
      ...(opts.openUrl ? { openUrl: opts.openUrl } : {}),
      ...(opts.oauthRetryDelaysMs ? { retryDelaysMs: opts.oauthRetryDelaysMs } : {}),
    });
    // The gate reaches the backends lazily: they are built next, with the gate's launch check.
    this.#approvalGate = new ApprovalGate({
      approvals: opts.approvals,
      backends: { get: (name) => this.#backends.get(name), all: () => this.#backends.all() },
      PATH: opts.stdioEnv.PATH,
    });
    this.#backends = new BackendManager({
      stdioEnv: opts.stdioEnv,
      logger: logger.child('backend'),
      clientInfo: this.#info,
      resolveSecrets: (server, config) => resolveSecretRefs(config, secrets, server),
      launchGate: (server, config) => this.#approvalGate.launchGate(server, config),
      remoteAuth: (server, config) => this.#oauth.remoteAuth(server, config),
      authFailure: (server, error) => this.#oauth.authFailure(server, error),
      ...(opts.startTimeoutMs ? { startTimeoutMs: opts.startTimeoutMs } : {}),
      requestTimeoutMs: limits.toolCallTimeoutMs,
      // Lazy servers' catalogs and the pidfile of running backends live beside the registry.
      ...(opts.dataDir ? { stateDir: opts.dataDir } : {}),
    });
    // Every kind of session counts against one quota: the pass-through's and the endpoints'.
    const quota = new SessionQuota({ maxSessions: limits.maxSessions, maxSessionsPerToken: limits.maxSessionsPerToken });
    this.#passthrough = new HttpPassthrough({
      maxBodyBytes: limits.maxBodyBytes,
      quota,
      log: (level, msg, fields) => logger[level](msg, fields),
    });
    const aggregate = aggregateView({
      runningBackends: () => this.#backends.running(),
      toolNames: this.#toolNames,
      promptNames: this.#promptNames,
      isToolAllowed: (server, tool) => this.#isToolAllowed(server, tool),
    });
    this.#toolCaller = new AdminToolCaller({
      view: aggregate,
      serverInfo: this.#info,
      version: opts.version,
      logger: logger.child('ui-calls'),
      record: (event) => this.#audit(event),
    });
    this.#endpoints = new McpEndpoints({
      audit: (event) => void this.#audit(event),
      backends: this.#backends,
      aggregateView: aggregate,
      serverInfo: this.#info,
      passthrough: this.#passthrough,
      passthroughTarget: (backend) => this.#passthroughTarget(backend),
      isToolAllowed: (server, tool) => this.#isToolAllowed(server, tool),
      maxBodyBytes: limits.maxBodyBytes,
      sessionIdleMs: limits.sessionIdleMs,
      quota,
      logger: logger.child('endpoints'),
    });
  }

  /** The limits in force now. */
  get #limits(): Readonly<GatewayLimits> {
    return this.#limitsInForce.current;
  }

  /** The base URL clients use, once started (e.g. `http://127.0.0.1:7420`). */
  get url(): string | undefined {
    return this.#url;
  }

  /** Starts the listener, then every enabled server; resolves when all starts have settled. */
  async start(): Promise<{ url: string }> {
    this.#disposables.add(this.#backends.onDidChange((event) => this.#onBackendEvent(event)));
    this.#disposables.add(this.#backends.onDidLifecycle((event) => this.#audit(lifecycleAuditEvent(event))));
    this.#disposables.add(
      this.opts.registry.onDidChange((change) => {
        for (const name of [...change.added, ...change.updated, ...change.removed]) this.#filters.delete(name);
        if (change.settingsChanged) this.#applyLiveLimits();
        this.#onDidChangeServers.fire();
      }),
    );
    this.#watchSecurity();
    this.#disposables.add(this.#oauth.onDidChange((event) => void this.#onOAuthEvent(event.kind, event.server, 'reason' in event ? event.reason : undefined)));
    // Node checks header and request timeouts every 30 s unless told otherwise (see limits.ts).
    const http = createServer({ connectionsCheckingInterval: connectionsCheckingIntervalMs(this.#limits) }, (req, res) => {
      this.#route(req, res).catch((error: unknown) => {
        this.opts.logger.error('request failed', { url: req.url, error: errorMessage(error) });
        if (!res.headersSent) sendJsonRpcError(res, 500, -32603, 'internal gateway error');
        else res.end();
      });
    });
    this.#http = http;
    applyHttpLimits(http, this.#limits);
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.opts.port, this.opts.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    const address = http.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.#port = address.port;
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
      await Promise.all([this.#endpoints.closeAll(), this.#toolCaller.close()]);
    } finally {
      try {
        await this.#passthrough.close();
      } finally {
        try {
          await this.#backends.stopAll();
        } finally {
          this.#admission.dispose();
          this.#disposables.dispose();
          this.#oauth.dispose();
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
      target: describeTarget(config, this.opts.secrets?.values() ?? []),
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
      ...(state.reason?.startsWith('needs_auth:') ? { needsAuth: true } : {}),
      ...this.#approvalGate.viewField(name, config),
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
    // A server added again later under this name must be approved again.
    await this.opts.approvals?.forget(name);
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

  info(): GatewayInfo {
    const desktop = this.opts.desktop ?? false;
    return {
      version: this.opts.version,
      ...(this.opts.dataDir ? { dataDir: this.opts.dataDir } : {}),
      desktop,
      secretStore: this.opts.secretStoreStatus?.() ?? defaultSecretStoreStatus(this.opts.secrets, desktop),
    };
  }

  settings(): GatewaySettings {
    return { limits: this.#limitsInForce.describe(this.opts.registry.settings().limits) };
  }

  async updateSettings(body: unknown): Promise<SettingsUpdate> {
    const patched = applyLimitsPatch(this.opts.registry.settings().limits, body);
    if (!patched.ok) return patched;
    await this.opts.registry.updateSettings({ limits: patched.limits });
    return { ok: true, settings: this.settings() };
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
          ...(tool.inputSchema ? { inputSchema: tool.inputSchema } : {}),
        };
      }),
    );
  }

  // --- internals -------------------------------------------------------------------------------

  /** The settings changed: the live limits take their new values at once (the others at the next start). */
  #applyLiveLimits(): void {
    const changed = this.#limitsInForce.update(this.opts.registry.settings().limits);
    if (changed.length === 0) return;
    const limits = this.#limits;
    this.#rate.configure({ ratePerSecond: limits.ratePerSecond, burst: limits.rateBurst });
    this.opts.logger.info('limits changed', Object.fromEntries(changed.map((key) => [key, limits[key]])));
  }

  /** Any change to a backend can change what the aggregate lists: rename, then tell clients. */
  #onBackendEvent(event: BackendEvent): void {
    const { logger } = this.opts;
    if (event.kind === 'state') {
      // A failure is a warning: the one line that tells why (backends do not log it again).
      logger[event.state.status === 'error' ? 'warn' : 'info']('server state', { server: event.server, status: event.state.status, reason: event.state.reason });
      // A degraded or sleeping server keeps its sessions; only stop and error end them.
      if (event.state.status === 'stopped' || event.state.status === 'error') void this.#endpoints.dropBackend(event.server);
    }
    const changed = this.#refreshNames();
    for (const kind of ['tools', 'prompts', 'resources'] as const) this.#endpoints.notifyListChanged(kind);
    for (const s of this.#toolNames.shortened()) {
      if (changed.includes(s.server)) logger.info('tool name shortened', { server: s.server, tool: s.name, exposed: s.exposed, reason: s.reason });
    }
    this.#onDidChangeServers.fire();
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
    // The headers with their secrets filled in, as resolved for the backend's current run.
    const resolved = backend.resolvedConfig;
    let headers = config.headers;
    if (resolved && resolved.transport !== 'stdio') headers = resolved.headers;
    else if (findSecretRefs(config).length > 0) {
      throw new Error(backend.state.reason ?? `server "${backend.name}": its secret references are not resolved yet (it has not started)`);
    }
    // An OAuth server gets the gateway's own access token (never the client's: that was stripped).
    const token = this.#oauth.accessTokenNow(backend.name);
    if (token !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')) {
      headers = { ...headers, authorization: `Bearer ${token}` };
    }
    return {
      name: backend.name,
      url: config.url,
      transport: config.transport,
      headers,
      onUnauthorized: () => this.#oauth.noteRejected(backend.name),
      timeout: backend.requestTimeoutMs,
      ...(config.sseReadTimeout !== undefined ? { sseReadTimeout: config.sseReadTimeout } : {}),
      hasTool: (tool) => catalogHasTool(backend, tool),
      ...(backend.catalog ? {} : { noCatalog: `server "${backend.name}" has not listed its tools: it is ${backend.state.status}` }),
      isToolAllowed: (tool) => this.#isToolAllowed(backend.name, tool),
    };
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const path = url.pathname;
    const isAdminPath = path === '/admin' || path.startsWith('/admin/') || path === '/metrics';
    const isMcpPath = path === '/mcp' || path === '/sse' || path === '/messages' || path.startsWith('/servers/');
    const isUi = isUiPath(path);
    // The UI page loads its scripts in CORS mode (Origin: its own origin): same Origin rule as /admin.
    const area: RequestArea = isAdminPath || isUi ? 'admin' : isMcpPath ? 'mcp' : 'public';
    const verdict = checkRequest(req, area, this.#guardPolicy());
    if (!verdict.ok) {
      req.resume();
      return sendForbidden(res, verdict.message);
    }
    // Every path decoded below decodes: a malformed one is the client's error, not an internal one.
    const malformed = malformedPathSegment(path);
    if (malformed !== undefined) {
      req.resume();
      return problem(res, 400, `malformed percent-encoding in path segment "${malformed}"`);
    }
    // The page needs no token; every API call it makes does.
    if (isUi) return serveUi(req, res, path, this.opts.uiDir ?? defaultUiDir());
    // The authorization server's redirect after a sign-in: no token (a browser brings it), but the state must match.
    if (path.startsWith('/oauth/callback/')) return handleOAuthCallback(req, res, path, url, this.#oauthDeps());
    if (path === '/healthz') {
      const servers = this.listServers();
      const count = (status: string): number => servers.filter((s) => s.status === status).length;
      return json(res, 200, { status: 'ok', servers: { total: servers.length, running: count('running'), degraded: count('degraded'), error: count('error') } });
    }
    if (isAdminPath) {
      if (!this.#auth.admin(req, res)) return;
      if (await handleSecurityAdminRequest(req, res, url, this.#securityAdminDeps())) return;
      if (await handleUiAdminRequest(req, res, url, this.#uiAdminSource())) return;
      if (this.opts.audit && (await handleAuditRequest(req, res, url, this.opts.audit))) return;
      if (await handleOAuthAdminRequest(req, res, url, this.#oauthDeps())) return;
      if (path === '/metrics') return problem(res, 404, 'metrics come from the audit, which is off');
      return handleAdmin(req, res, path, this, this.#limits.maxBodyBytes);
    }
    if (!isMcpPath) return problem(res, 404, `nothing at ${path} (endpoints: /mcp, /sse, /servers/<name>/mcp, /servers/<name>/sse, /admin, /healthz)`);
    const principal = this.#auth.client(req, res);
    if (!principal) return;
    const perServer = /^\/servers\/([^/]+)\/(mcp|sse|messages)$/.exec(path);
    const target: McpTarget = perServer ? { way: 'per-server', server: decodeURIComponent(perServer[1]!) } : { way: 'aggregate' };
    if (!(await this.#admission.admit(req, res, principal, target))) return;
    if (path === '/mcp') return this.#endpoints.aggregateStreamable(req, res, principal);
    if (path === '/sse' && req.method === 'GET') return this.#endpoints.aggregateSse(req, res, principal);
    if (path === '/messages' && req.method === 'POST') return this.#endpoints.sseMessage(req, res, { way: 'aggregate', principal });
    if (perServer && target.way === 'per-server') {
      const endpoint = perServer[2] as 'mcp' | 'sse' | 'messages';
      if (endpoint === 'sse' && req.method !== 'GET') return problem(res, 405, 'use GET on /sse endpoints');
      if (endpoint === 'messages' && req.method !== 'POST') return problem(res, 405, 'use POST on /messages endpoints');
      return this.#endpoints.server(req, res, target.server, endpoint, principal);
    }
    return problem(res, 405, `${req.method} is not allowed on ${path}`);
  }

  #oauthDeps(): Parameters<typeof handleOAuthAdminRequest>[3] {
    return {
      broker: this.#oauth,
      servers: { get: (name) => this.opts.registry.get(name), list: () => this.opts.registry.list() },
      maxBodyBytes: this.#limits.maxBodyBytes,
    };
  }

  /** A sign-in finished: (re)start the server. A refresh failed or the user signed out: stop it in `error`. */
  async #onOAuthEvent(kind: 'authorized' | 'needs_auth' | 'signed_out', server: string, reason?: string): Promise<void> {
    const backend = this.#backends.get(server);
    if (!backend || this.#stopping) return;
    if (kind === 'authorized') {
      if (!backend.config.enabled) return;
      if (backend.state.status === 'running' || backend.state.status === 'degraded') await this.restartServer(server);
      else await backend.start();
      return;
    }
    await this.#endpoints.dropBackend(server);
    await backend.markNeedsAuth(reason ?? this.#oauth.needsAuthReason(server) ?? `needs_auth: server "${server}" is signed out`);
  }

  /** Client tokens presented (and valid) since start, for the audit's redaction; memory only. */
  clientTokensInUse(): Iterable<string> {
    return this.#auth.tokensInUse();
  }

  /** Records an audit event, answering it as stored; the audit never fails a request. */
  #audit(event: AuditRecordInput): AuditEvent | undefined {
    const audit = this.opts.audit;
    if (!audit) return undefined;
    try {
      const stored = audit.record(event);
      return typeof stored === 'object' && stored !== null && 'id' in stored ? (stored as AuditEvent) : undefined;
    } catch (error) {
      this.opts.logger.warn('audit record failed', { error: errorMessage(error) });
      return undefined;
    }
  }

  /** What the UI's "Try it" and "Install" read from the gateway. */
  #uiAdminSource(): Parameters<typeof handleUiAdminRequest>[3] {
    return {
      caller: this.#toolCaller,
      tokens: this.#tokens,
      serverNames: () => this.opts.registry.list().map((s) => s.name),
      serverView: (name) => this.serverView(name),
      backend: (name) => this.#backends.get(name),
      listTools: () => this.listTools(),
      // Client configs need an address a client can dial, not the wildcard the gateway may listen on.
      url: () => localUrl(this.#url ?? `http://${this.opts.host}:${this.#port}`),
      maxBodyBytes: this.#limits.maxBodyBytes,
      ...(this.opts.clientInstall ? { clientInstall: this.opts.clientInstall } : {}),
    };
  }

  // --- security --------------------------------------------------------------------------------

  /** Host and Origin rules, with the port actually bound. */
  #guardPolicy(): GuardPolicy {
    const origins = this.opts.allowedOrigins ?? [];
    return { port: this.#port, allowedHosts: this.opts.allowedHosts ?? [], mcpOrigins: origins, adminOrigins: origins };
  }

  #securityAdminDeps(): SecurityAdminDeps {
    return {
      tokens: this.#tokens,
      ...(this.opts.secrets ? { secrets: this.opts.secrets } : {}),
      // Without an approval store every stdio server may start: report them as approved.
      approvals: this.opts.approvals ?? {
        status: (_server, config) => (config.transport === 'stdio' ? 'approved' : 'not-needed'),
        get: () => undefined,
        approve: () => Promise.resolve(undefined),
      },
      servers: { get: (name) => this.opts.registry.get(name), list: () => this.opts.registry.list() },
      launch: { PATH: this.opts.stdioEnv.PATH },
      maxBodyBytes: this.#limits.maxBodyBytes,
      onApproved: (server) => this.#approvalGate.startApproved(server),
    };
  }

  /** Revocation, approvals written elsewhere, and secrets set later all take effect while running. */
  #watchSecurity(): void {
    this.#disposables.add(
      this.#tokens.onDidRevoke((token) => {
        this.#rate.forget(token.id);
        this.opts.logger.info('token revoked; closing its sessions', { token: token.name });
        void this.#endpoints.closeSessionsOf(token.id);
      }),
    );
    const approvals = this.opts.approvals;
    if (approvals) {
      this.#disposables.add(approvals.onDidChange((event) => event.type === 'approved' && void this.#approvalGate.startApproved(event.server)));
    }
    // `gatehouse tokens` and `gatehouse approve` write their files from another process: pick them up.
    const poll = setInterval(() => {
      if (this.#stopping) return;
      this.#tokens.reload().catch((error: unknown) => this.opts.logger.warn('cannot reload tokens', { error: errorMessage(error) }));
      void this.#approvalGate.poll();
    }, SECURITY_POLL_MS);
    poll.unref();
    this.#disposables.add({ dispose: () => clearInterval(poll) });
    const secrets = this.opts.secrets;
    if (secrets) {
      this.#disposables.add(
        secrets.onDidChange((event) => {
          if (event.type !== 'set') return;
          // A server that failed for want of this secret can start now.
          for (const backend of this.#backends.all()) {
            const waiting = backend.state.status === 'error' && findSecretRefs(backend.config).some((ref) => ref.name === event.name);
            if (waiting && backend.config.enabled) void backend.start();
          }
        }),
      );
    }
  }
}
