/**
 * Everything a running gateway needs, opened from one data directory: tokens, approvals, the
 * registry, the audit timeline and the gateway itself. `gatehouse serve` and the desktop app
 * both build their gateway here, so they share one data dir and one way of starting and
 * stopping; each brings its own secret store (an encrypted file headless, `safeStorage` on the
 * desktop).
 *
 * Only one gateway may use a data dir at a time: the host takes the data dir's lock
 * (`gateway.lock`, see data-dir-lock.ts) before it opens anything, records the URL in it once
 * the gateway listens, and releases it when it closes.
 */
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { AuditStore, auditDir } from './audit/audit-store.js';
import { createRedactor } from './audit/redact.js';
import { resolveLoginShellPath } from './backends/shell-path.js';
import type { Logger } from './base/logger.js';
import { acquireDataDirLock, type DataDirLock } from './config/data-dir-lock.js';
import { securePrivateDataDir } from './config/data-dir-mode.js';
import { Registry } from './config/registry.js';
import { Gateway, type GatewayOptions } from './gateway.js';
import { localUrl } from './http/local-url.js';
import { oauthTokenValues } from './oauth/oauth-vault.js';
import { ApprovalStore } from './security/approvals.js';
import type { SecretStore } from './security/secret-store.js';
import { TokenStore, type TokenStoreOptions } from './security/token-store.js';
import { packageVersion } from './version.js';

/** Options of {@link openGatewayHost}. */
export interface GatewayHostOptions {
  dataDir: string;
  host: string;
  port: number;
  logger: Logger;
  /** Where `GATEHOUSE_TOKEN` / `GATEHOUSE_ADMIN_TOKEN` come from. */
  env: Readonly<NodeJS.ProcessEnv>;
  /** Where `${secret:...}` references are resolved; closed with the host when it has `dispose`. */
  secrets: SecretStore & { dispose?(): void };
  allowedHosts?: string[];
  /** The token store's other options (the desktop app's session admin token, the flush interval). */
  tokenOptions?: Omit<TokenStoreOptions, 'env' | 'logger'>;
  /**
   * The data dir's lock, when the caller took it already (`serve` takes it before it opens the
   * secret store); the host releases it on close. Without it the host takes it itself.
   */
  lock?: DataDirLock;
  /** Who runs the gateway, as a second gateway's refusal names it. Default `gatehouse`. */
  app?: string;
  /** Anything else the gateway takes (OAuth `openUrl`, what `/admin/info` says, limits). */
  gateway?: Partial<Omit<GatewayOptions, 'registry' | 'audit' | 'dataDir' | 'host' | 'port' | 'logger' | 'tokens' | 'secrets' | 'approvals'>>;
}

/** An opened, not yet started gateway and its stores. */
export interface GatewayHost {
  readonly gateway: Gateway;
  readonly registry: Registry;
  readonly tokens: TokenStore;
  readonly approvals: ApprovalStore;
  readonly audit: AuditStore;
  readonly secrets: SecretStore;
  /** Problems found while opening the stores (each already names its file), for the user. */
  readonly warnings: readonly string[];
  /** Starts the gateway (`gateway.start()`), then records its URL in the data dir's lock. */
  start(): Promise<{ url: string }>;
  /** Stops the gateway and every backend, then closes the stores (pending writes land). Idempotent. */
  close(): Promise<void>;
}

/**
 * Takes the data dir's lock, opens its stores and builds the gateway over them. Call
 * {@link GatewayHost.start} next.
 *
 * @throws DataDirLockedError when another live gateway uses `dataDir` (nothing was opened).
 */
export async function openGatewayHost(opts: Readonly<GatewayHostOptions>): Promise<GatewayHost> {
  const { logger, dataDir } = opts;
  const warnings: string[] = [];
  const closers: Array<() => unknown> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) await close();
    closers.length = 0;
  };
  try {
    // Made private before anything is written into it; then nobody else may be writing there.
    warnings.push(...(await securePrivateDataDir(dataDir)));
    const lock = opts.lock ?? (await acquireDataDirLock(dataDir, opts.app !== undefined ? { app: opts.app } : {}));
    closers.push(() => lock.release());
    const tokens = await TokenStore.open(dataDir, { ...opts.tokenOptions, env: opts.env, logger: logger.child('tokens') });
    closers.push(() => tokens.close());
    warnings.push(...tokens.warnings);
    closers.push(() => opts.secrets.dispose?.());
    const approvals = await ApprovalStore.open(dataDir);
    closers.push(() => approvals.dispose());
    warnings.push(...approvals.warnings);
    const registry = await Registry.open(dataDir, { logger: logger.child('registry') });
    closers.push(() => registry.dispose());
    warnings.push(...registry.warnings);
    let tokensInUse = (): Iterable<string> => [];
    // Every message and backend event goes on the audit timeline; secret values never do.
    const audit = await AuditStore.open({
      dir: auditDir(dataDir),
      logger: logger.child('audit'),
      // Client tokens are stored hashed: the ones presented since start come from the gateway.
      // OAuth tokens sit inside JSON values of the store: the redactor gets them one by one too.
      redactor: createRedactor({
        secretValues: () => {
          const values = opts.secrets.values();
          return [...values, ...oauthTokenValues(values)];
        },
        clientTokens: () => tokensInUse(),
      }),
    });
    closers.push(() => audit.close());
    warnings.push(...audit.warnings);
    const PATH = await resolveLoginShellPath({ fallback: process.env.PATH ?? '' });
    const gateway = new Gateway({
      stdioEnv: { PATH },
      version: await packageVersion(),
      clientInstall: defaultClientInstall(opts.env),
      ...opts.gateway,
      registry,
      dataDir,
      host: opts.host,
      port: opts.port,
      logger,
      allowedHosts: opts.allowedHosts ?? [],
      tokens,
      secrets: opts.secrets,
      approvals,
      audit,
    });
    tokensInUse = () => gateway.clientTokensInUse();
    // The gateway first: its backends and sessions may still write to the stores.
    closers.push(() => gateway.stop());
    let closing: Promise<void> | undefined;
    return {
      gateway,
      registry,
      tokens,
      approvals,
      audit,
      secrets: opts.secrets,
      warnings,
      async start() {
        const started = await gateway.start();
        await lock.setUrl(localUrl(started.url));
        return started;
      },
      close: () => (closing ??= closeAll()),
    };
  } catch (error) {
    await closeAll();
    // A lock the caller took is released here too: the host owned it from the call on.
    await opts.lock?.release();
    throw error;
  }
}

/**
 * The Clients screen installs into the files of the user the gateway runs as. Stdio-only clients
 * start `gatehouse bridge` with this Node and this package's CLI; inside Electron (whose binary is
 * not a plain Node) that command is unknown, and those clients get the snippet instead.
 */
function defaultClientInstall(env: Readonly<NodeJS.ProcessEnv>): NonNullable<GatewayOptions['clientInstall']> {
  const platform = process.platform === 'darwin' || process.platform === 'win32' ? process.platform : 'linux';
  const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
  return {
    installEnv: { home: homedir(), platform, env },
    ...(process.versions.electron === undefined ? { bridgeCommand: { command: process.execPath, args: [cli] } } : {}),
  };
}

export { localUrl };
