/**
 * The desktop app's behaviour, apart from Electron: it owns the gateway (through
 * {@link openGatewayHost}), answers tray actions, keeps the tray model current on every server
 * change (never on a timer), raises alerts, and offers the control API the window uses. The
 * shell (`main.ts`) turns the {@link DesktopPorts} into clipboard, notifications, dialogs,
 * windows and the tray; tests pass fakes and a real gateway.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import {
  ControlApiError,
  type ControlApi,
  type GatewayInfo,
  type ServerView,
  type Unsubscribe,
} from '../../shared/control-api.js';
import { createHttpControlApi } from '../../shared/control-api-http.js';
import { CONTROL_CALLS, type ControlCall } from '../../shared/control-ipc.js';
import { endpointUrl, generate, isClientId, listClients } from '../../shared/client-configs/index.js';
import type { ExportFormat } from '../core/audit/audit-export.js';
import { parseAuditQuery } from '../core/audit/audit-query.js';
import { AuditStore, auditDir } from '../core/audit/audit-store.js';
import { errorMessage, type Logger } from '../core/base/logger.js';
import { openGatewayHost, type GatewayHost } from '../core/gateway-host.js';
import type { SafeStorageLike } from '../core/security/safe-storage-store.js';
import type { ObtainKeyOptions } from '../core/security/keyring.js';
import { openDesktopSecrets, type DesktopSecrets } from './secret-store-choice.js';
import { ServerAlerts, type Alert } from './server-alerts.js';
import { trayIconFile, trayIconState, trayMenuKey, trayMenuModel, trayTooltip, type TrayAction, type TrayInput, type TrayMenuItem } from './tray-model.js';

/** What the tray shows: rendered by the shell each time it changes. */
export interface TrayView {
  icon: string;
  tooltip: string;
  menu: TrayMenuItem[];
}

/** The Electron side effects, as functions (fakes in tests). */
export interface DesktopPorts {
  writeClipboard(text: string): void;
  notify(alert: Alert): void;
  /** Shows the window (creating it), at `hash` (e.g. `#/audit`) when given. */
  showWindow(hash?: string): void;
  /** Asks where to save the audit export; `undefined` when cancelled. */
  chooseExportFile(defaultName: string): Promise<{ file: string; format: ExportFormat } | undefined>;
  getStartAtLogin(): boolean;
  setStartAtLogin(enabled: boolean): void;
  renderTray(view: TrayView): void;
  /** Opens a sign-in page in the browser (already checked against the allow-list by the shell). */
  openExternal(url: string): Promise<void>;
  /** Ends the process; called once everything is stopped. */
  exit(): void;
}

/** Remembered choices (electron-store in the shell). */
export interface DesktopPrefs {
  encryptedFileChosen(): boolean;
  setEncryptedFileChosen(chosen: boolean): void;
}

export interface DesktopAppOptions {
  dataDir: string;
  /** Default 127.0.0.1. */
  host?: string;
  port: number;
  logger: Logger;
  version: string;
  platform: NodeJS.Platform;
  env: Readonly<NodeJS.ProcessEnv>;
  safeStorage: SafeStorageLike;
  prefs: DesktopPrefs;
  ports: DesktopPorts;
  /** Passed to the encrypted-file store's key lookup (tests: `none`). */
  keyring?: ObtainKeyOptions['keyring'];
}

type GatewayState = TrayInput['gateway'];

/** Copy client config ▸: every client that can reach a local gateway. */
const TRAY_CLIENTS: TrayInput['clients'] = listClients()
  .filter((c) => c.transport !== 'unreachable')
  .map((c) => ({ id: c.id, label: c.title }));

/** The window's control API: every call of the HTTP one, plus what only the desktop can do. */
export type DesktopControlApi = ControlApi & Required<Pick<ControlApi, 'chooseEncryptedFileSecrets' | 'watchServers'>>;

export class DesktopApp {
  readonly #opts: DesktopAppOptions;
  /** The window's admin token for this run: in memory only, never on disk or screen. */
  readonly #adminSecret = randomBytes(32).toString('base64url');
  readonly #alerts: ServerAlerts;
  readonly #watchers = new Set<(servers: ServerView[]) => void>();
  #host?: GatewayHost;
  #secrets?: DesktopSecrets;
  #gateway: GatewayState = { state: 'stopped' };
  #trayKey?: string;
  #transition: Promise<void> = Promise.resolve();
  #quitting?: Promise<void>;
  readonly controlApi: DesktopControlApi;

  constructor(opts: Readonly<DesktopAppOptions>) {
    this.#opts = opts;
    this.#alerts = new ServerAlerts();
    this.controlApi = this.#buildControlApi();
  }

  /** The gateway's base URL, or where it will listen. */
  get url(): string {
    return this.#host?.gateway.url ?? `http://${this.#opts.host ?? '127.0.0.1'}:${this.#opts.port}`;
  }

  get gatewayState(): GatewayState {
    return this.#gateway;
  }

  /** Opens the stores and starts the gateway; a failure (port taken, damaged file) shows in the tray and the window. */
  startGateway(): Promise<void> {
    return this.#serially(async () => {
      if (this.#host || this.#quitting) return;
      this.#setGateway({ state: 'starting' });
      let host: GatewayHost | undefined;
      try {
        this.#secrets = await openDesktopSecrets({
          dataDir: this.#opts.dataDir,
          safeStorage: this.#opts.safeStorage,
          encryptedFileChosen: this.#opts.prefs.encryptedFileChosen(),
          ...(this.#opts.keyring ? { keyring: this.#opts.keyring } : {}),
        });
        const status = this.#secrets.status;
        host = await openGatewayHost({
          dataDir: this.#opts.dataDir,
          host: this.#opts.host ?? '127.0.0.1',
          port: this.#opts.port,
          logger: this.#opts.logger,
          env: this.#opts.env,
          secrets: this.#secrets.store,
          app: 'Gatehouse desktop app',
          tokenOptions: { sessionAdminToken: { name: 'desktop app (this run)', secret: this.#adminSecret } },
          gateway: {
            version: this.#opts.version,
            desktop: true,
            secretStoreStatus: () => status,
            openUrl: (url) => this.#opts.ports.openExternal(url),
          },
        });
        for (const warning of host.warnings) this.#opts.logger.warn(warning);
        host.gateway.onDidChangeServers(() => this.#refresh());
        this.#host = host;
        await host.start();
        this.#setGateway({ state: 'running', url: host.gateway.url! });
      } catch (error) {
        this.#host = undefined;
        // The host closes the secret store with the rest; without one, it is still open here.
        if (host) await host.close().catch(() => undefined);
        else this.#secrets?.store.dispose?.();
        const code = (error as NodeJS.ErrnoException).code;
        const why =
          code === 'EADDRINUSE'
            ? `port ${this.#opts.port} is already in use (is "gatehouse serve" running?)`
            : errorMessage(error);
        this.#opts.logger.error('gateway did not start', { error: why });
        this.#setGateway({ state: 'error', error: `The gateway did not start: ${why}` });
      }
    });
  }

  /** Stops every backend and the listener, and closes the stores. */
  stopGateway(): Promise<void> {
    return this.#serially(async () => {
      const host = this.#host;
      if (!host) return;
      this.#host = undefined;
      await host.close();
      this.#setGateway({ state: 'stopped' });
    });
  }

  /** Stops everything cleanly, then exits. Idempotent. */
  quit(): Promise<void> {
    this.#quitting ??= (async () => {
      try {
        await this.stopGateway();
      } catch (error) {
        this.#opts.logger.error('stopping the gateway failed', { error: errorMessage(error) });
      }
      this.#watchers.clear();
      this.#opts.ports.exit();
    })();
    return this.#quitting;
  }

  /** Server status for the window, on every change. */
  watchServers(listener: (servers: ServerView[]) => void): Unsubscribe {
    this.#watchers.add(listener);
    listener(this.#servers());
    return () => void this.#watchers.delete(listener);
  }

  /** Carries out a tray menu action; failures become a notification, never an exception. */
  async dispatch(action: TrayAction): Promise<void> {
    try {
      await this.#dispatch(action);
    } catch (error) {
      this.#opts.ports.notify({ server: '', title: 'Gatehouse', body: errorMessage(error) });
    }
  }

  async #dispatch(action: TrayAction): Promise<void> {
    const { ports } = this.#opts;
    switch (action.type) {
      case 'start-gateway':
        return this.startGateway();
      case 'stop-gateway':
        return this.stopGateway();
      case 'server': {
        const gateway = this.#running().gateway;
        if (action.op === 'start') await gateway.startServer(action.server);
        else if (action.op === 'stop') await gateway.stopServer(action.server);
        else await gateway.restartServer(action.server);
        return;
      }
      case 'copy-endpoint':
        return ports.writeClipboard(endpointUrl(this.#running().gateway.url!));
      case 'copy-client-config': {
        if (!isClientId(action.client)) throw new Error(`unknown client "${action.client}"`);
        const config = generate(action.client, { url: endpointUrl(this.#running().gateway.url!) });
        return ports.writeClipboard(config.snippet);
      }
      case 'open-window':
        return ports.showWindow();
      case 'open-audit':
        return ports.showWindow('#/audit');
      case 'export-audit':
        return this.#exportAudit();
      case 'toggle-start-at-login':
        ports.setStartAtLogin(action.enabled);
        this.#renderTray(true);
        return;
      case 'quit':
        return this.quit();
    }
  }

  /** Writes the whole timeline to a file the user picks (streamed: it may be large). */
  async #exportAudit(): Promise<void> {
    const stamp = new Date().toISOString().slice(0, 10);
    const choice = await this.#opts.ports.chooseExportFile(`gatehouse-audit-${stamp}.jsonl`);
    if (!choice) return;
    const query = parseAuditQuery({}, Date.now());
    if (!query.ok) throw new Error(query.message);
    const store = await AuditStore.open({ dir: auditDir(this.#opts.dataDir), readOnly: true });
    const out = createWriteStream(choice.file, { mode: 0o600 });
    try {
      for await (const chunk of store.export(query.query, choice.format)) {
        if (!out.write(chunk)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
    } catch (error) {
      out.destroy();
      throw new Error(`The audit export to ${choice.file} failed: ${errorMessage(error)}`);
    } finally {
      await store.close();
    }
    this.#opts.ports.notify({ server: '', title: 'Audit log exported', body: choice.file });
  }

  #running(): GatewayHost {
    if (!this.#host?.gateway.url) throw new Error('The gateway is not running: start it from the tray menu.');
    return this.#host;
  }

  #servers(): ServerView[] {
    return this.#host?.gateway.url ? this.#host.gateway.listServers() : [];
  }

  #setGateway(state: GatewayState): void {
    this.#gateway = state;
    this.#refresh();
  }

  /** After any change: alerts for new errors, the window's watchers, and the tray when it differs. */
  #refresh(): void {
    const servers = this.#servers();
    for (const alert of this.#alerts.update(servers)) this.#opts.ports.notify(alert);
    for (const watcher of this.#watchers) watcher(servers);
    this.#renderTray(false, servers);
  }

  #renderTray(force: boolean, servers = this.#servers()): void {
    const input: TrayInput = {
      gateway: this.#gateway,
      servers,
      clients: TRAY_CLIENTS,
      startAtLogin: this.#opts.ports.getStartAtLogin(),
      platform: this.#opts.platform,
      version: this.#opts.version,
    };
    const key = trayMenuKey(input);
    if (!force && key === this.#trayKey) return;
    this.#trayKey = key;
    this.#opts.ports.renderTray({ icon: trayIconFile(trayIconState(input), this.#opts.platform), tooltip: trayTooltip(input), menu: trayMenuModel(input) });
  }

  /** Start and stop never overlap (a Stop clicked during a start waits for it). */
  #serially(task: () => Promise<void>): Promise<void> {
    const next = this.#transition.then(task);
    this.#transition = next.catch(() => undefined);
    return next;
  }

  /**
   * The control API over this gateway's `/admin`, with the run's admin token; while the gateway
   * is stopped every call fails with a 503 that says so.
   */
  #buildControlApi(): DesktopControlApi {
    const http = (): ControlApi => {
      const url = this.#host?.gateway.url;
      if (!url) throw new ControlApiError(503, this.#gateway.error ?? 'The gateway is stopped: start it from the tray menu.');
      return createHttpControlApi({ baseUrl: url, token: this.#adminSecret });
    };
    const calls = Object.fromEntries(
      CONTROL_CALLS.map((method) => [method, async (...args: unknown[]) => (http()[method] as (...a: unknown[]) => Promise<unknown>)(...args)]),
    ) as unknown as Pick<ControlApi, ControlCall>;
    return {
      ...calls,
      gatewayUrl: () => this.url,
      streamAudit: (filter, onEvent, onError) => {
        try {
          return http().streamAudit(filter, onEvent, onError);
        } catch (error) {
          onError?.(error as ControlApiError);
          return () => undefined;
        }
      },
      watchServers: (onChange) => this.watchServers(onChange),
      chooseEncryptedFileSecrets: async (): Promise<GatewayInfo> => {
        if (this.#secrets?.status.canChooseEncryptedFile !== true) {
          throw new ControlApiError(409, 'The encrypted-file store is only offered when the operating system’s credential store is unavailable.');
        }
        this.#opts.prefs.setEncryptedFileChosen(true);
        // The gateway resolves secrets from one store: restart it over the chosen one.
        await this.stopGateway();
        await this.startGateway();
        return http().info();
      },
    };
  }
}
