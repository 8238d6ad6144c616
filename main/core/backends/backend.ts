import { Client } from '@modelcontextprotocol/client';
import type { ClientCapabilities, Implementation, PriorDiscovery, Transport } from '@modelcontextprotocol/client';
import { SUPERVISION_DEFAULTS, type ServerConfig } from '../../../shared/server-config.js';
import { Emitter } from '../base/emitter.js';
import { errorMessage, type Logger } from '../base/logger.js';
import { describeLaunch } from '../security/approvals.js';
import { MissingSecretError } from '../security/secret-refs.js';
import { formatDuration, RestartPolicy, type RestartTiming } from './backoff.js';
import type { BackendLifecycleEvent, BackendState, BackendStatus } from './backend-state.js';
import { CapabilityCatalogs, capabilityKey, readCatalogAs } from './capability-catalogs.js';
import { CATALOG_KINDS, LIST_CHANGED, readCatalog, readLists, type Catalog, type CatalogKind } from './catalog.js';
import type { CatalogCache } from './catalog-cache.js';
import { systemClock, type SupervisionClock, type TimerHandle } from './clock.js';
import { HealthMonitor } from './health.js';
import { IdleWatch } from './idle.js';
import type { ProcessTransport, ProcessWatcher } from './process-transport.js';
import { StdioMux } from './stdio-mux.js';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  RELAYED_CLIENT_CAPABILITIES,
  RemoteConnector,
  spawnStdio,
  upstreamErrorMessage,
  type RemoteAuth,
  type StdioEnvironment,
} from './upstream.js';

export interface BackendDeps {
  stdioEnv: StdioEnvironment;
  logger: Logger;
  clientInfo: Implementation;
  /** How long a start (spawn/connect + first listings) may take. */
  startTimeoutMs?: number;
  /**
   * How long one request may wait for the backend's answer when the server sets no `timeout`
   * of its own (the gateway's `toolCallTimeoutMs`; default 60 s).
   */
  requestTimeoutMs?: number;
  /** Time and timers for restarts, pings and idle stops (tests pass a fake). */
  clock?: SupervisionClock;
  /** Backoff overrides (tests shorten them); the defaults are 1 s doubling to 60 s. */
  restartTiming?: Partial<RestartTiming>;
  /** Told about every stdio process group, so none outlives the gateway. */
  processWatcher?: ProcessWatcher;
  /** Keeps the catalogs of lazy servers while they are stopped. */
  catalogCache?: CatalogCache;
  /** Longest wait for one ping's answer (default 10 s, never more than the interval). */
  pingTimeoutMs?: number;
  /** Missed pings in a row before a restart (default 2; the first makes the backend degraded). */
  maxPingMisses?: number;
  /**
   * Fills in `${secret:NAME}` references (stdio env, remote headers) right before a spawn or a
   * connect; the result lives in memory for that run only. A `MissingSecretError` puts the
   * backend in `error` without retries (setting the secret and starting it again fixes it).
   */
  resolveSecrets?: <T extends ServerConfig>(server: string, config: T) => Promise<T>;
  /**
   * Asked before every launch: a reason not to start (e.g. `waiting for approval: <command
   * line>`) keeps the backend `stopped` with that reason; `undefined` lets it start.
   */
  launchGate?: (server: string, config: ServerConfig) => Promise<string | undefined>;
  /** OAuth for a remote server's transports (`undefined`: none). */
  remoteAuth?: (server: string, config: Extract<ServerConfig, { transport: 'sse' | 'streamable-http' }>) => RemoteAuth | undefined;
  /**
   * Whether a failed start is an authorization problem: a reason (`needs_auth: ...`) puts the
   * backend in `error` without retries (a sign-in fixes it, not a restart).
   */
  authFailure?: (server: string, error: unknown) => string | undefined;
}

const DEFAULT_PING_TIMEOUT_MS = 10_000;
const DEFAULT_START_TIMEOUT_MS = 60_000;
/** Longest wait for the catalog of a client with other capabilities, before listing the backend's own. */
const CAPABILITY_CATALOG_TIMEOUT_MS = 15_000;
/** The backend's own connection advertises every capability the gateway relays. */
const OWN_CAPABILITIES_KEY = capabilityKey(RELAYED_CLIENT_CAPABILITIES);
const DEFAULT_MAX_PING_MISSES = 2;


/**
 * One configured MCP server: starts and stops it, keeps its catalog, and hands out
 * per-session transports to it.
 *
 * - shared stdio: one process; sessions get ports of a {@link StdioMux};
 * - per-client stdio: a process per session (a short probe run at start fills the catalog);
 * - sse / streamable-http: a new upstream connection per session.
 *
 * A failure never throws out of {@link start}: it becomes the `error` state with a reason.
 *
 * Supervision: a backend that fails while it should be running (its process exits, its
 * connection drops, it misses `maxPingMisses` pings in a row, or a start fails) is torn down
 * and, with `restart: "on-failure"`, started again after an exponential backoff; more than
 * `maxRestarts` failures within 10 minutes leave it in `error`. A lazy stdio server starts on
 * the first session that needs it and stops after `idleTimeoutMs` without traffic, keeping
 * its catalog so the aggregate can still list it.
 */
export class Backend {
  readonly #onDidChangeState = new Emitter<BackendState>();
  readonly #onDidChangeCatalog = new Emitter<Catalog>();
  readonly #onDidLifecycle = new Emitter<BackendLifecycleEvent>();
  readonly onDidChangeState = this.#onDidChangeState.event;
  readonly onDidChangeCatalog = this.#onDidChangeCatalog.event;
  /** What the backend went through (start, exit, restart, ...), for the audit. */
  readonly onDidLifecycle = this.#onDidLifecycle.event;

  readonly #clock: SupervisionClock;
  readonly #policy: RestartPolicy;
  #state: BackendState;
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
  #launching?: Promise<void>;
  #restartTimer?: TimerHandle;
  #restarts = 0;
  #lastExit?: BackendState['lastExit'];
  /** Why the last run ended against our will, worded to follow `server "x" `. */
  #lastFailure?: string;
  #health?: HealthMonitor;
  #idle?: IdleWatch;
  /** A lazy server that is stopped but will start on first use (its cached catalog is listed). */
  #dormant = false;
  /** The config of the current run with its secret references filled in. Never stored or shown. */
  #resolved?: ServerConfig;
  /** What per-client sessions with other capabilities than the backend's own connection see. */
  readonly #byCapabilities = new CapabilityCatalogs((capabilities) => this.#readCatalogAs(capabilities));

  constructor(
    readonly name: string,
    readonly config: ServerConfig,
    private readonly deps: BackendDeps,
  ) {
    this.#clock = deps.clock ?? systemClock;
    this.#policy = new RestartPolicy(config.maxRestarts ?? SUPERVISION_DEFAULTS.maxRestarts, deps.restartTiming, () => this.#clock.random());
    this.#state = { status: 'stopped', since: this.#clock.now(), restarts: 0 };
  }

  get state(): BackendState {
    return this.#state;
  }

  /** `startup: "lazy"` (stdio only). */
  get isLazy(): boolean {
    return this.config.transport === 'stdio' && this.config.startup === 'lazy';
  }

  /** A lazy server that is stopped for now and starts on first use. */
  get isDormant(): boolean {
    return this.#dormant;
  }

  /**
   * Whether requests may be routed here: running, degraded (still answering calls), or dormant
   * with a cached catalog (a session's first use starts it).
   */
  get isRoutable(): boolean {
    const status = this.#state.status;
    return status === 'running' || status === 'degraded' || (this.#dormant && this.#catalog !== undefined);
  }

  /**
   * Why a request in flight to this backend could not be answered, for the error the client
   * gets: e.g. `server "x" exited (code 1) while handling tools/call`.
   */
  describeLostRequest(method: string): string {
    const what = this.#lastFailure ?? (this.#state.status === 'stopped' ? `was stopped (${this.#state.reason ?? 'stopped'})` : 'closed the connection');
    return `server "${this.name}" ${what} while handling ${method}`;
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

  /**
   * Loads what a lazy server needs to be listed before it runs: its cached catalog. Without a
   * cache entry the server is started once to fill it (the idle timer stops it again).
   * Eager servers are simply started.
   */
  async activate(): Promise<void> {
    if (!this.isLazy) return this.start();
    if (this.#state.status !== 'stopped' || this.#launching) return;
    // An unapproved lazy server must not even be listed from an old catalog.
    if (await this.#isGated()) return;
    const cached = await this.deps.catalogCache?.load(this.name, this.config).catch(() => undefined);
    if (!cached && !this.#catalog) return this.start();
    if (cached) this.#catalog = cached;
    this.#dormant = true;
    this.#setState('stopped', 'not started yet (lazy: starts on first use)');
    this.#onDidChangeCatalog.fire(this.#catalog!);
  }

  /**
   * Starts the backend (a start by the user or the gateway: the crash-loop count starts over);
   * resolves when it is running or has failed (see {@link state}).
   */
  async start(): Promise<void> {
    if (this.#launching) return this.#launching;
    if (this.#state.status === 'running' || this.#state.status === 'degraded') return;
    this.#policy.reset();
    this.#restarts = 0;
    return this.#launch();
  }

  /** Starts a dormant lazy server (or waits for a start under way); no-op otherwise. */
  async ensureStarted(): Promise<void> {
    if (this.#launching) return this.#launching;
    if (this.#dormant) return this.#launch();
  }

  async stop(reason = 'stopped'): Promise<void> {
    await this.#stop(reason, false);
  }

  /** `dormant`: a lazy server going to sleep, listed from its catalog until next use. */
  async #stop(reason: string, dormant: boolean): Promise<void> {
    this.#generation++;
    this.#dormant = false;
    this.#cancelSupervision();
    const wasActive = this.#state.status !== 'stopped';
    const wasRunning = this.#state.status === 'running' || this.#state.status === 'degraded';
    if (wasRunning) this.#lastFailure = `was stopped (${reason})`;
    await this.#teardown();
    // Dormant before the state event, so listeners already see it as routable.
    this.#dormant = dormant && this.#catalog !== undefined;
    if (wasActive || this.#state.status !== 'stopped') {
      this.#setState('stopped', reason);
      this.#lifecycle({ kind: 'stop', reason });
    }
  }

  #launch(): Promise<void> {
    this.#clock.clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    this.#dormant = false;
    const launching = this.#launchInner().finally(() => {
      if (this.#launching === launching) this.#launching = undefined;
    });
    this.#launching = launching;
    return launching;
  }

  async #launchInner(): Promise<void> {
    const generation = ++this.#generation;
    if (await this.#isGated()) return;
    if (generation !== this.#generation) return;
    this.#setState('starting', this.#restarts > 0 ? `restart ${this.#restarts}` : undefined);
    try {
      await withTimeout(this.#startInner(generation), this.deps.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS, 'start');
      if (generation !== this.#generation) return;
      this.#lastFailure = undefined;
      this.#policy.onRunning(this.#clock.now());
      this.#setState('running');
      this.#lifecycle({
        kind: 'start',
        restarts: this.#restarts,
        ...(this.pid !== undefined ? { pid: this.pid } : {}),
        ...(this.config.transport === 'stdio' ? this.#launchDescription(this.config) : {}),
      });
      this.#superviseRun(generation);
    } catch (error) {
      if (generation !== this.#generation) return;
      // A start that timed out may still be running: make it stand down.
      const current = ++this.#generation;
      const tail = this.stderrTail(5).filter((l) => l.trim() !== '');
      // Said once, by the state change (the gateway logs it).
      const reason = upstreamErrorMessage(error) + (tail.length > 0 ? ` (stderr: ${tail.join(' | ')})` : '');
      await this.#teardown();
      if (current !== this.#generation) return;
      const authReason = this.deps.authFailure?.(this.name, error);
      if (error instanceof MissingSecretError || authReason !== undefined) {
        // Retrying cannot help until someone sets the secret or signs in: no backoff loop, just say which.
        this.#setState('error', authReason ?? reason);
        this.#lifecycle({ kind: 'error', reason: authReason ?? reason });
        return;
      }
      this.#failed(reason);
    }
  }

  /**
   * A run failed (or a start did): restart after a backoff, or stay in `error`. Call with the
   * generation already moved on, so the failed run's late callbacks are ignored.
   */
  #failed(reason: string, teardown?: Promise<void>): void {
    const generation = this.#generation;
    const now = this.#clock.now();
    if ((this.config.restart ?? SUPERVISION_DEFAULTS.restart) === 'never') {
      this.#setState('error', reason);
      this.#lifecycle({ kind: 'error', reason });
      return;
    }
    const decision = this.#policy.onFailure(now);
    if (!decision.restart) {
      const full = `${reason}; ${decision.reason}`;
      this.deps.logger.error('backend keeps failing; giving up', { server: this.name, reason: full });
      this.#setState('error', full);
      this.#lifecycle({ kind: 'error', reason: full });
      return;
    }
    const due = now + decision.delayMs;
    this.#setState('error', `${reason}; restarting in ${formatDuration(decision.delayMs)}`, due);
    this.#lifecycle({ kind: 'restart', reason, delayMs: decision.delayMs, attempt: decision.attempt });
    void (teardown ?? Promise.resolve()).then(() => {
      if (generation !== this.#generation) return;
      this.#restartTimer = this.#clock.setTimeout(() => {
        this.#restartTimer = undefined;
        if (generation !== this.#generation) return;
        this.#restarts += 1;
        void this.#launch();
      }, Math.max(0, due - this.#clock.now()));
    });
  }

  /** A running backend failed: state first (in-flight errors read it), then teardown and restart. */
  #failRunning(reason: string, failure: string): void {
    if (this.#state.status !== 'running' && this.#state.status !== 'degraded') return;
    this.#generation++;
    this.#lastFailure = failure;
    this.#cancelSupervision();
    this.deps.logger.warn('backend failed', { server: this.name, reason });
    this.#failed(reason, this.#teardown());
  }

  /** Health pings and (lazy servers) the idle timer, for the run of `generation`. */
  #superviseRun(generation: number): void {
    const current = (): boolean => generation === this.#generation;
    const client = this.#cacheClient;
    const interval = this.config.pingIntervalMs ?? SUPERVISION_DEFAULTS.pingIntervalMs;
    if (client && interval > 0) {
      const timeoutMs = Math.min(this.deps.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS, interval);
      this.#health = new HealthMonitor({
        intervalMs: interval,
        timeoutMs,
        maxMisses: this.deps.maxPingMisses ?? DEFAULT_MAX_PING_MISSES,
        clock: this.#clock,
        // The 2026-07-28 revision has no ping: a modern backend's liveness is its server/discover answer.
        ping: (timeout) => (client.getProtocolEra() === 'modern' ? client.discover({ timeout }) : client.ping({ timeout })),
        onMiss: (_misses, reason) => {
          if (!current() || this.#state.status !== 'running') return;
          this.#setState('degraded', reason);
          this.#lifecycle({ kind: 'degraded', reason });
        },
        onRecovered: () => {
          if (!current() || this.#state.status !== 'degraded') return;
          this.#setState('running', 'answers pings again');
          this.#lifecycle({ kind: 'recovered' });
        },
        onUnhealthy: (reason) => {
          if (current()) this.#failRunning(`not answering: ${reason}`, 'stopped answering pings');
        },
      });
      this.#health.start();
    }
    if (this.isLazy) {
      const idleMs = (this.config.transport === 'stdio' && this.config.idleTimeoutMs) || SUPERVISION_DEFAULTS.idleTimeoutMs;
      this.#idle = new IdleWatch(this.#clock, idleMs, () => {
        if (current()) void this.#sleep(idleMs);
      });
      for (const transport of this.#sessionTransports) this.#idle.observe(transport);
      this.#idle.arm();
    }
  }

  /** A lazy server idle for long enough: stop it, keep its catalog, start again on next use. */
  async #sleep(idleMs: number): Promise<void> {
    await this.#stop(`idle for ${formatDuration(idleMs)} (starts again on next use)`, true);
  }

  /** Tells listeners, and keeps a lazy server's catalog for when it is stopped. */
  #publishCatalog(catalog: Catalog): void {
    this.#byCapabilities.clear();
    this.#onDidChangeCatalog.fire(catalog);
    if (!this.isLazy || !this.deps.catalogCache) return;
    this.deps.catalogCache.save(this.name, this.config, catalog).catch((error: unknown) => {
      this.deps.logger.warn('cannot save the catalog cache', { server: this.name, error: errorMessage(error) });
    });
  }

  #cancelSupervision(): void {
    this.#clock.clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    this.#health?.stop();
    this.#health = undefined;
    this.#idle?.disarm();
    this.#idle = undefined;
  }

  /**
   * The config of the current run with secret references filled in (remote headers for the
   * pass-through), or `undefined` before a start got that far. Holds secret values: never log
   * or return it.
   */
  get resolvedConfig(): ServerConfig | undefined {
    return this.#resolved;
  }

  /** Asks the launch gate; when it refuses, the backend stays `stopped` with its reason. */
  async #isGated(): Promise<boolean> {
    const reason = await this.deps.launchGate?.(this.name, this.config);
    if (reason === undefined) return false;
    this.#dormant = false;
    if (this.#state.status !== 'stopped' || this.#state.reason !== reason) this.#setState('stopped', reason);
    return true;
  }

  /** What a stdio launch runs, for the log and the audit (no env values: they may be secrets). */
  #launchDescription(config: Extract<ServerConfig, { transport: 'stdio' }>): { command: string; cwd: string } {
    const launch = describeLaunch(this.name, config, { PATH: config.env['PATH'] ?? this.deps.stdioEnv.PATH });
    return { command: launch.commandLine, cwd: launch.cwd };
  }

  /**
   * A transport to this backend for one client session. Closing it ends that session's use
   * (and for per-client isolation, stops the session's process).
   */
  async openSessionTransport(): Promise<Transport> {
    await this.ensureStarted();
    const status = this.#state.status;
    if (status !== 'running' && status !== 'degraded') {
      throw new Error(`server "${this.name}" is ${status}${this.#state.reason ? `: ${this.#state.reason}` : ''}`);
    }
    const config = this.config;
    let transport: Transport;
    if (config.transport === 'stdio' && config.isolation === 'shared') transport = this.#mux!.openPort();
    else if (config.transport === 'stdio') transport = this.#spawn((this.#resolved ?? config) as typeof config);
    else transport = this.#remote!.createTransport();
    return this.#tracked(transport);
  }

  /**
   * The backend's credentials stopped working (an OAuth refresh failed): a running backend is
   * torn down and left in `error` with `reason`, without restarts, until someone signs in.
   */
  async markNeedsAuth(reason: string): Promise<void> {
    if (this.#state.status !== 'running' && this.#state.status !== 'degraded') return;
    this.#generation++;
    this.#lastFailure = 'needs a new sign-in';
    this.#cancelSupervision();
    this.#setState('error', reason);
    this.#lifecycle({ kind: 'error', reason });
    await this.#teardown();
  }

  /**
   * Re-reads the catalog through `client` (or the backend's own cache client). A client session
   * that advertises other `capabilities` than the backend's own connection refreshes only what
   * clients like it see.
   */
  async refreshCatalog(kinds: readonly CatalogKind[] = CATALOG_KINDS, client = this.#cacheClient, capabilities?: ClientCapabilities): Promise<void> {
    if (!client || !this.#catalog) return;
    if (capabilities !== undefined && capabilityKey(capabilities) !== OWN_CAPABILITIES_KEY) {
      const current = (await this.#byCapabilities.peek(capabilities)) ?? this.#catalog;
      this.#byCapabilities.set(capabilities, { ...current, ...(await readLists(client, current.capabilities, kinds)) });
      // Listeners re-list through catalogFor; the backend's own catalog is unchanged.
      this.#onDidChangeCatalog.fire(this.#catalog);
      return;
    }
    const next = { ...this.#catalog, ...(await readLists(client, this.#catalog.capabilities, kinds)) };
    this.#catalog = next;
    this.#publishCatalog(next);
  }

  /**
   * Whether each client session reaches this backend over an upstream session of its own that
   * advertises that client's capabilities (remote servers, per-client stdio). A shared stdio
   * process is initialized once with every capability the gateway relays.
   */
  get isPerClient(): boolean {
    return this.config.transport !== 'stdio' || this.config.isolation === 'per-client';
  }

  /**
   * The catalog a client with `capabilities` (as its upstream sessions advertise them) is
   * served: the backend's own, or, for a per-client backend and other capabilities, the one an
   * upstream session with those capabilities lists (read once, on a short-lived session). If
   * that read fails, the backend's own catalog. With `read: false` nothing is read: the catalog
   * known for those capabilities, or the backend's own.
   */
  async catalogFor(capabilities: ClientCapabilities, opts: { read?: boolean } = {}): Promise<Catalog | undefined> {
    const own = this.#catalog;
    const running = this.#state.status === 'running' || this.#state.status === 'degraded';
    if (!own || !running || !this.isPerClient || capabilityKey(capabilities) === OWN_CAPABILITIES_KEY) return own;
    if (opts.read === false) return (await this.#byCapabilities.peek(capabilities)) ?? own;
    return this.#byCapabilities.get(capabilities);
  }

  /** Lists the catalog on a short-lived session that advertises `capabilities`; on failure, its own. */
  async #readCatalogAs(capabilities: ClientCapabilities): Promise<Catalog> {
    const own = this.#catalog!;
    const timeoutMs = Math.min(this.requestTimeoutMs, CAPABILITY_CATALOG_TIMEOUT_MS);
    try {
      return await withTimeout(readCatalogAs(this, this.deps.clientInfo, capabilities), timeoutMs, 'listing');
    } catch (error) {
      this.deps.logger.warn('cannot list the catalog for a client with other capabilities; listing its own', {
        server: this.name,
        capabilities: Object.keys(capabilities),
        error: upstreamErrorMessage(error),
      });
      return own;
    }
  }


  /** Disposes listeners and timers; call after {@link stop}. */
  dispose(): void {
    this.#generation++;
    this.#cancelSupervision();
    this.#onDidChangeState.dispose();
    this.#onDidChangeCatalog.dispose();
    this.#onDidLifecycle.dispose();
  }

  // ------------------------------------------------------------------------------------------

  #tracked(transport: Transport): Transport {
    const sessions = this.#sessionTransports;
    sessions.add(transport);
    this.#idle?.observe(transport);
    const close = transport.close.bind(transport);
    transport.close = async () => {
      sessions.delete(transport);
      this.#idle?.forget(transport);
      await close();
    };
    return transport;
  }

  /** `config` has its secrets filled in; the log line is built from the registry's own (references only). */
  #spawn(config: Extract<ServerConfig, { transport: 'stdio' }>): ProcessTransport {
    if (this.config.transport === 'stdio') this.deps.logger.info('launching stdio server', { server: this.name, ...this.#launchDescription(this.config) });
    const proc = spawnStdio(config, this.deps.stdioEnv);
    if (this.deps.processWatcher) proc.watcher = this.deps.processWatcher;
    return proc;
  }

  async #startInner(generation: number): Promise<void> {
    this.#resolved = undefined;
    const config = this.deps.resolveSecrets ? await this.deps.resolveSecrets(this.name, this.config) : this.config;
    if (generation !== this.#generation) throw new Error('start was abandoned');
    this.#resolved = config;
    const client = this.#newCacheClient();
    let transport: Transport;
    if (config.transport === 'stdio') {
      const proc = this.#spawn(config);
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
      this.#remote = new RemoteConnector(this.name, config, this.deps.remoteAuth?.(this.name, config), this.requestTimeoutMs);
      transport = this.#remote.createTransport();
      transport.onclose = undefined;
    }
    // A process that is slow to come up is bounded by the start timeout, not the per-request one.
    await client.connect(transport, { timeout: this.deps.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS });
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
    this.#publishCatalog(catalog);
    if (config.transport === 'stdio' && config.isolation === 'per-client') {
      this.#lastStderr = this.#process?.stderr.toArray() ?? [];
      this.#cacheClient = undefined;
      this.#process = undefined;
      await client.close().catch(() => {});
      return;
    }
    // A connection that drops outside a stop is a failure: reconnect with backoff. (For stdio
    // the process exit usually tells first, with the exit code.)
    client.onclose = () => {
      if (generation === this.#generation) this.#failRunning('connection to the backend closed', 'closed the connection');
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
        this.refreshCatalog([kind as CatalogKind]).catch((error: unknown) => {
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

  /** How long one request to this backend may take: the server's `timeout`, else the gateway's. */
  get requestTimeoutMs(): number {
    const fallback = this.deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    return this.config.transport === 'stdio' ? fallback : (this.config.timeout ?? fallback);
  }

  #onProcessExit(proc: ProcessTransport, generation: number, code: number | null, signal: string | null): void {
    const at = this.#clock.now();
    const expected = generation !== this.#generation || proc !== this.#process;
    this.#lifecycle({ kind: 'exit', code, signal, expected, ...(proc.pid !== undefined ? { pid: proc.pid } : {}) });
    if (expected) return;
    this.#lastExit = { code, signal, at };
    this.#lastStderr = proc.stderr.toArray();
    const status = this.#state.status;
    if (status !== 'running' && status !== 'degraded') return; // start() reports its own failure
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const tail = proc.stderr.tail(3).filter((l) => l.trim() !== '');
    this.#failRunning(`process exited with ${how}` + (tail.length > 0 ? ` (stderr: ${tail.join(' | ')})` : ''), `exited (${how})`);
  }

  async #teardown(): Promise<void> {
    this.#byCapabilities.clear();
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

  #setState(status: BackendStatus, reason?: string, nextRestartAt?: number): void {
    this.#state = {
      status,
      since: this.#clock.now(),
      restarts: this.#restarts,
      ...(reason ? { reason } : {}),
      ...(nextRestartAt !== undefined ? { nextRestartAt } : {}),
      ...(this.#lastExit ? { lastExit: this.#lastExit } : {}),
    };
    this.#onDidChangeState.fire(this.#state);
  }

  #lifecycle(event: DistributiveOmit<BackendLifecycleEvent, 'server' | 'at'>): void {
    this.#onDidLifecycle.fire({ ...event, server: this.name, at: this.#clock.now() } as BackendLifecycleEvent);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
