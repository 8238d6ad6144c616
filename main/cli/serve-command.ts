/**
 * `gatehouse serve`: the gateway without the desktop app. Checks its arguments and the config
 * file, takes the data dir's lock, opens the stores, imports the config, listens, and prints
 * where everything is. Runs until SIGINT or SIGTERM.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, errorMessage, type LogLevel } from '../core/base/logger.js';
import { resolveLoginShellPath } from '../core/backends/shell-path.js';
import { acquireDataDirLock, type DataDirLock } from '../core/config/data-dir-lock.js';
import { securePrivateDataDir } from '../core/config/data-dir-mode.js';
import { openGatewayHost, type GatewayHost } from '../core/gateway-host.js';
import { LOOPBACK_HOSTNAMES } from '../core/http/request-guard.js';
import { openHeadlessSecretStore, type HeadlessSecrets } from '../core/security/headless-secrets.js';
import { extractSecrets } from '../core/security/import-secrets.js';
import type { GatewayLimits } from '../core/security/limits.js';
import { secretRef } from '../core/security/secret-refs.js';
import { headlessSecretStoreStatus } from '../core/security/secret-store-status.js';
import type { TokenStore } from '../core/security/token-store.js';
import { packageVersion } from '../core/version.js';
import { limitFlagsHelp, limitParseOptions, parseLimitFlags } from './limit-flags.js';
import { describeArgsError } from './parse-command.js';
import { invocationDir, readServeConfig, type ServeConfigResult } from './serve-config.js';

/** The usage of `gatehouse serve`, its limit flags included. */
export function serveUsage(defaultDataDir: string): string {
  return `Usage: gatehouse serve [options]

Runs the Gatehouse MCP gateway without the desktop app, with the control UI at its URL.

Options:
  --config FILE     import the mcpServers JSON in FILE into the registry, then serve
                    (servers named in FILE replace registry entries of the same name; stdio
                    servers without "cwd" run in FILE's folder)
  --host ADDRESS    address to listen on (default 127.0.0.1)
  --port PORT       port to listen on (default 7420; 0 picks a free one)
  --allow-host NAME a Host name clients may use besides localhost, 127.0.0.1 and [::1]
                    (repeatable; needed with --host 0.0.0.0, whose clients use a real name)
  --data-dir DIR    where the registry lives (default: ${defaultDataDir}); one gateway at a time
  --log-level LVL   debug | info | warn | error (default info)
  -h, --help        show this help

Limits (each a number; see "Limits" in the README):
${limitFlagsHelp()}

The first serve creates an admin token and prints it once (lost it? gatehouse tokens create
NAME --admin). Client tokens come from "gatehouse tokens create"; without any, the MCP
endpoints are open to local processes.

Environment:
  GATEHOUSE_TOKEN        an extra full-access client token (Authorization: Bearer ... or X-API-Key)
  GATEHOUSE_ADMIN_TOKEN  an extra admin token for the /admin API
  GATEHOUSE_DATA_DIR     default for --data-dir
  GATEHOUSE_KEYRING      "none": keep the secrets key in a file, never the OS keyring`;
}

/** Where `serve` reads and writes: the real process in the CLI. */
export interface ServeIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  defaultDataDir: string;
}

interface ServeOptions {
  configFile: string | undefined;
  host: string;
  port: number;
  dataDir: string;
  level: LogLevel;
  allowedHosts: string[];
  limits: Partial<GatewayLimits>;
  /** Where relative paths on the command line point (see invocationDir). */
  baseDir: string;
}

/** Runs `gatehouse serve ...` (`argv` includes the word `serve`); resolves to the exit code on failure, never on success. */
export async function runServeCommand(argv: readonly string[], io: ServeIo): Promise<number> {
  const usage = (): string => serveUsage(io.defaultDataDir);
  const options = {
    config: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '7420' },
    'allow-host': { type: 'string', multiple: true },
    'data-dir': { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    help: { type: 'boolean', short: 'h' },
    ...limitParseOptions(),
  } as const;
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options });
  } catch (error) {
    io.stderr(`gatehouse serve: ${describeArgsError(error, Object.keys(options))}\n\n${usage()}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${usage()}\n`);
    return 0;
  }
  if (positionals[0] !== 'serve' || positionals.length > 1) {
    io.stderr(`gatehouse: unknown command "${positionals.join(' ')}"\n\n${usage()}\n`);
    return 2;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.stderr(`gatehouse: --port must be a number from 0 to 65535 (got "${values.port}")\n`);
    return 2;
  }
  const level = values['log-level'] as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(level)) {
    io.stderr(`gatehouse: --log-level must be debug, info, warn or error (got "${level}")\n`);
    return 2;
  }
  const limits = parseLimitFlags(values);
  if ('error' in limits) {
    io.stderr(`gatehouse: ${limits.error}\n`);
    return 2;
  }
  const host = values.host as string;
  const allowedHosts = [...((values['allow-host'] as string[] | undefined) ?? [])];
  if (!isLoopback(host) && !isWildcard(host)) allowedHosts.push(host.includes(':') ? `[${host}]` : host);
  const baseDir = invocationDir(io.env);
  const dataDir = values['data-dir'] as string | undefined;
  return serve(
    {
      configFile: values.config as string | undefined,
      host,
      port,
      dataDir: dataDir === undefined ? io.defaultDataDir : path.resolve(baseDir, dataDir),
      level,
      allowedHosts,
      limits: limits.limits,
      baseDir,
    },
    io,
  );
}

async function serve(opts: ServeOptions, io: ServeIo): Promise<number> {
  const logger = createLogger('gatehouse', { level: opts.level });
  // Validate the whole config file before anything starts.
  let imported: Extract<ServeConfigResult, { ok: true }> | undefined;
  if (opts.configFile !== undefined) {
    const result = await readServeConfig(opts.configFile, opts.baseDir);
    if (!result.ok) {
      io.stderr(`gatehouse: ${result.errors.join('\n')}\n`);
      return 1;
    }
    imported = result;
  }
  // The lock comes first: a second gateway must not touch the secret store or anything else.
  let lock: DataDirLock;
  const early: string[] = [];
  try {
    early.push(...(await securePrivateDataDir(opts.dataDir)));
    lock = await acquireDataDirLock(opts.dataDir, { app: 'gatehouse serve' });
  } catch (error) {
    io.stderr(`gatehouse: ${errorMessage(error)}\n`);
    return 1;
  }
  let secrets: HeadlessSecrets;
  try {
    secrets = await openHeadlessSecretStore({ dataDir: opts.dataDir, ...(io.env.GATEHOUSE_KEYRING === 'none' ? { keyring: 'none' as const } : {}) });
  } catch (error) {
    await lock.release();
    io.stderr(`gatehouse: cannot open the secret store: ${errorMessage(error)}\n`);
    return 1;
  }
  let host: GatewayHost;
  try {
    host = await openGatewayHost({
      dataDir: opts.dataDir,
      host: opts.host,
      port: opts.port,
      logger,
      env: io.env,
      secrets: secrets.store,
      allowedHosts: opts.allowedHosts,
      lock,
      app: 'gatehouse serve',
      gateway: { secretStoreStatus: () => headlessSecretStoreStatus(secrets), limits: opts.limits },
    });
  } catch (error) {
    io.stderr(`gatehouse: ${errorMessage(error)}\n`);
    return 1;
  }
  const { gateway, tokens, registry, approvals } = host;
  // Off loopback, anyone on the network could use every server (and the admin API, which can
  // start any command, is protected by the admin token created below).
  if (!isLoopback(opts.host) && !tokens.hasToken('client')) {
    io.stderr(`gatehouse: refusing to listen on ${opts.host} without a client token: create one with "gatehouse tokens create NAME" or set GATEHOUSE_TOKEN\n`);
    await host.close();
    return 2;
  }
  // Said at every start: the key to the secrets sits in a plain file.
  if (secrets.warning) io.stderr(`gatehouse: warning: ${secrets.warning}\n`);
  for (const warning of [...early, ...host.warnings]) io.stderr(`gatehouse: warning: ${warning}\n`);
  if (imported) {
    // Credentials go to the secret store before the registry is written: it keeps references only.
    // (Importing again is harmless: a start that fails below is repeated with the same file.)
    const { servers, moved } = await extractSecrets(imported.servers, secrets.store);
    const { added, updated } = await registry.importServers(servers);
    logger.info('config imported', { file: imported.file, added, updated });
    if (moved.length > 0) {
      io.stdout(`Moved ${moved.length} credential${moved.length === 1 ? '' : 's'} from ${opts.configFile} into the secret store:\n`);
      for (const m of moved) io.stdout(`  ${m.server}: ${m.field} -> ${secretRef(m.secret)}${m.replaced ? ' (replaced the stored value)' : ''}\n`);
      io.stdout(`  (the file itself is unchanged: remove the credentials from it)\n`);
    }
    // The servers of the file the user passed count as approved, as written.
    for (const [name, config] of Object.entries(servers)) await approvals.approve(name, config, 'config-file');
  }

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    io.stderr(`gatehouse: ${signal}, stopping servers...\n`);
    await host.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  // The admin token exists before the gateway listens: while there is none, the admin API is open.
  const newAdminToken = await tokens.ensureAdminToken();
  let url: string;
  try {
    ({ url } = await host.start());
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? `port ${opts.port} is already in use (try --port 0 or another port)` : errorMessage(error);
    io.stderr(`gatehouse: cannot listen on ${opts.host}:${opts.port}: ${why}\n`);
    // Nobody saw the new admin token: take it back, so the next start makes and shows one.
    const unseen = newAdminToken === undefined ? undefined : tokens.authenticate(newAdminToken);
    if (unseen) await tokens.revoke(unseen.id);
    await host.close();
    return 1;
  }
  if (isWildcard(opts.host) && opts.allowedHosts.length === 0) {
    io.stderr(`gatehouse: warning: listening on ${opts.host}; clients elsewhere need --allow-host <their name for this machine>\n`);
  }
  io.stdout(`${await startupReport(host, url, opts, newAdminToken)}\n`);
  return new Promise<number>(() => {
    // Runs until a signal stops it.
  });
}

/** What `serve` prints once it listens: where everything is, the admin token or how to get one, the servers. */
async function startupReport(host: GatewayHost, url: string, opts: ServeOptions, newAdminToken: string | undefined): Promise<string> {
  const { gateway, tokens } = host;
  const out: string[] = [
    `Gatehouse ${await packageVersion()} listening on ${url}`,
    `  control UI: ${url}/  (open it in a browser; sign in with the admin token)`,
    `  aggregate:  ${url}/mcp  (legacy SSE: ${url}/sse)`,
    `  per server: ${url}/servers/<name>/mcp  (legacy SSE: ${url}/servers/<name>/sse)`,
    `  admin API:  ${url}/admin/servers   health: ${url}/healthz`,
    `  data dir:   ${opts.dataDir}`,
  ];
  if (!tokens.hasToken('client')) {
    out.push('  warning: no client token exists, so any local process can use the MCP endpoints (create one: gatehouse tokens create NAME)');
  }
  // Like a notebook server's login URL: the only time this secret is ever shown.
  if (newAdminToken) out.push(`Admin token (shown once, copy it now): ${newAdminToken}`);
  else out.push(adminTokenHint(tokens));
  const servers = gateway.listServers();
  out.push(servers.length === 0 ? 'No servers configured (add some with --config FILE or the admin API).' : 'Servers:');
  for (const s of servers) {
    const detail = s.status === 'running' ? `${s.toolCount} tools` : (s.reason ?? '');
    out.push(`  ${s.name.padEnd(20)} ${s.transport.padEnd(16)} ${s.status.padEnd(8)} ${detail}`);
    if (s.approval === 'pending' || s.approval === 'changed') out.push(`  ${''.padEnd(20)} approve it with: gatehouse approve ${s.name}`);
  }
  return out.join('\n');
}

/** Said whenever an admin token exists but none was shown: how to get into the UI. */
function adminTokenHint(tokens: TokenStore): string {
  const stored = tokens.list().filter((t) => t.kind === 'admin' && !t.ephemeral);
  const fromEnv = stored.length === 0 && tokens.hasToken('admin');
  if (fromEnv) return 'The admin token is the one in GATEHOUSE_ADMIN_TOKEN.';
  return 'No admin token shown: one exists, and only its hash is kept. Lost it? Make another: gatehouse tokens create NAME --admin';
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTNAMES.includes(host.toLowerCase()) || host === '::1' || host.startsWith('127.');
}
