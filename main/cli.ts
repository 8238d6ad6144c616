#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseConfigText } from '../shared/config-schema.js';
import { createLogger, errorMessage, type LogLevel } from './core/base/logger.js';
import { defaultDataDir } from './core/config/data-dir.js';
import { Registry } from './core/config/registry.js';
import { resolveLoginShellPath } from './core/backends/shell-path.js';
import { openGatewayHost } from './core/gateway-host.js';
import { headlessSecretStoreStatus } from './core/security/secret-store-status.js';
import { LOOPBACK_HOSTNAMES } from './core/http/request-guard.js';
import { openHeadlessSecretStore, type HeadlessSecrets } from './core/security/headless-secrets.js';
import { extractSecrets } from './core/security/import-secrets.js';
import { secretRef } from './core/security/secret-refs.js';
import { packageVersion } from './core/version.js';
import { runApproveCommand } from './cli/approve-command.js';
import { runSecretsCommand, type CommandIo } from './cli/secrets-command.js';
import { runTokensCommand } from './cli/tokens-command.js';
import { runAuditCommand } from './cli/audit-command.js';
import { runAuthCommand } from './cli/auth-command.js';
import { runBridgeCommand } from './cli/bridge-command.js';
import { runClientCommand } from './cli/client-command.js';
import { describeArgsError, unknownCommandMessage } from './cli/parse-command.js';
import { terminalConfirm } from './cli/terminal.js';

const USAGE = `Usage: gatehouse serve [options]
       gatehouse tokens list | create NAME [--servers a,b] [--admin] | revoke ID
       gatehouse secrets set NAME | list | delete NAME     (set reads the value from stdin)
       gatehouse approve SERVER | --list
       gatehouse auth login SERVER | status | logout SERVER   (OAuth sign-in; gatehouse auth --help)
       gatehouse audit export [filters] [--format jsonl|csv] | tail | verify   (gatehouse audit --help)
       gatehouse bridge [--server NAME] [--url URL] [--token-env VAR]   (stdio bridge for stdio-only clients)
       gatehouse client list | show CLIENT | install CLIENT | remove CLIENT   (gatehouse client --help)
       (each command also takes --data-dir DIR and --help)

Runs the Gatehouse MCP gateway without the desktop app.

Options of serve:
  --config FILE     import the mcpServers JSON in FILE into the registry, then serve
                    (servers named in FILE replace registry entries of the same name)
  --host ADDRESS    address to listen on (default 127.0.0.1)
  --port PORT       port to listen on (default 7420; 0 picks a free one)
  --allow-host NAME a Host name clients may use besides localhost, 127.0.0.1 and [::1]
                    (repeatable; needed with --host 0.0.0.0, whose clients use a real name)
  --data-dir DIR    where the registry lives (default: ${defaultDataDir()})
  --log-level LVL   debug | info | warn | error (default info)
  -h, --help        show this help
  -v, --version     print the version

The first serve creates an admin token and prints it once. Client tokens come from
"gatehouse tokens create"; without any, the MCP endpoints are open to local processes.

Environment:
  GATEHOUSE_TOKEN        an extra full-access client token (Authorization: Bearer ... or X-API-Key)
  GATEHOUSE_ADMIN_TOKEN  an extra admin token for the /admin API
  GATEHOUSE_DATA_DIR     default for --data-dir
  GATEHOUSE_KEYRING      "none": keep the secrets key in a file, never the OS keyring`;

/** Entry point of the `gatehouse` command; returns the process exit code. */
async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const command = argv[0];
  if (command === 'tokens' || command === 'secrets' || command === 'approve') return runSecurityCommand(command, argv.slice(1), env);
  if (command === 'bridge') return runBridgeCommand(argv.slice(1), { stderr: (text) => void process.stderr.write(text), env });
  if (command === 'client') return runClientCommand(argv.slice(1), { stdout: (text) => void process.stdout.write(text), stderr: (text) => void process.stderr.write(text), env }, defaultDataDir(process.platform, env));
  if (command === 'auth') return runAuthCommand(argv.slice(1), { stdout: (text) => void process.stdout.write(text), stderr: (text) => void process.stderr.write(text), readStdin: async () => { let text = ''; for await (const chunk of process.stdin) text += String(chunk); return text; }, stdinIsTty: process.stdin.isTTY === true, env });
  if (command === 'audit') {
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    return runAuditCommand(argv.slice(1), { stdout: process.stdout, stderr: process.stderr, env, signal: controller.signal }, defaultDataDir(process.platform, env));
  }
  if (command !== undefined && !command.startsWith('-') && command !== 'serve') {
    process.stderr.write(`gatehouse: ${unknownCommandMessage(command)}\n\n${USAGE}\n`);
    return 2;
  }
  const options = {
    config: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '7420' },
    'allow-host': { type: 'string', multiple: true },
    'data-dir': { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
  } as const;
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options });
  } catch (error) {
    process.stderr.write(`gatehouse: ${describeArgsError(error, Object.keys(options))}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    process.stdout.write(`${await packageVersion()}\n`);
    return 0;
  }
  if (values.help || positionals.length === 0) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (positionals[0] !== 'serve' || positionals.length > 1) {
    process.stderr.write(`gatehouse: unknown command "${positionals.join(' ')}"\n\n${USAGE}\n`);
    return 2;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`gatehouse: --port must be a number from 0 to 65535 (got "${values.port}")\n`);
    return 2;
  }
  const level = values['log-level'] as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(level)) {
    process.stderr.write(`gatehouse: --log-level must be debug, info, warn or error (got "${level}")\n`);
    return 2;
  }
  const host = values.host!;
  const allowedHosts = [...(values['allow-host'] ?? [])];
  if (!isLoopback(host) && !isWildcard(host)) allowedHosts.push(host.includes(':') ? `[${host}]` : host);
  return serve({
    configFile: values.config,
    host,
    port,
    dataDir: values['data-dir'] ?? defaultDataDir(),
    level,
    env,
    allowedHosts,
  });
}

interface ServeOptions {
  configFile: string | undefined;
  host: string;
  port: number;
  dataDir: string;
  level: LogLevel;
  env: NodeJS.ProcessEnv;
  allowedHosts: string[];
}

async function serve(opts: ServeOptions): Promise<number> {
  const logger = createLogger('gatehouse', { level: opts.level });
  // Validate the whole config file before anything starts.
  let imported: Awaited<ReturnType<typeof parseConfigText>> | undefined;
  if (opts.configFile) {
    let text: string;
    try {
      text = await readFile(opts.configFile, 'utf8');
    } catch (error) {
      process.stderr.write(`gatehouse: cannot read config ${opts.configFile}: ${errorMessage(error)}\n`);
      return 1;
    }
    imported = parseConfigText(text, opts.configFile);
    if (!imported.ok) {
      process.stderr.write(`gatehouse: ${opts.configFile} is invalid, nothing was started:\n`);
      for (const line of imported.errors) process.stderr.write(`  - ${line}\n`);
      return 1;
    }
  }
  let secrets: HeadlessSecrets;
  try {
    secrets = await openHeadlessSecretStore({ dataDir: opts.dataDir, ...(opts.env.GATEHOUSE_KEYRING === 'none' ? { keyring: 'none' as const } : {}) });
  } catch (error) {
    process.stderr.write(`gatehouse: cannot open the secret store: ${errorMessage(error)}\n`);
    return 1;
  }
  const host = await openGatewayHost({
    dataDir: opts.dataDir,
    host: opts.host,
    port: opts.port,
    logger,
    env: opts.env,
    secrets: secrets.store,
    allowedHosts: opts.allowedHosts,
    gateway: { secretStoreStatus: () => headlessSecretStoreStatus(secrets) },
  });
  const { gateway, tokens, registry, approvals } = host;
  // Off loopback, anyone on the network could use every server (and the admin API, which can
  // start any command, is protected by the admin token created below).
  if (!isLoopback(opts.host) && !tokens.hasToken('client')) {
    process.stderr.write(
      `gatehouse: refusing to listen on ${opts.host} without a client token: create one with "gatehouse tokens create NAME" or set GATEHOUSE_TOKEN\n`,
    );
    await host.close();
    return 2;
  }
  // Said at every start: the key to the secrets sits in a plain file.
  if (secrets.warning) process.stderr.write(`gatehouse: warning: ${secrets.warning}\n`);
  for (const warning of host.warnings) process.stderr.write(`gatehouse: warning: ${warning}\n`);
  if (imported?.ok) {
    // Credentials go to the secret store before the registry is written: it keeps references only.
    const { servers, moved } = await extractSecrets(imported.servers, secrets.store);
    const { added, updated } = await registry.importServers(servers);
    logger.info('config imported', { file: opts.configFile, added, updated });
    if (moved.length > 0) {
      process.stdout.write(`Moved ${moved.length} credential${moved.length === 1 ? '' : 's'} from ${opts.configFile} into the secret store:\n`);
      for (const m of moved) process.stdout.write(`  ${m.server}: ${m.field} -> ${secretRef(m.secret)}${m.replaced ? ' (replaced the stored value)' : ''}\n`);
      process.stdout.write(`  (the file itself is unchanged: remove the credentials from it)\n`);
    }
    // The servers of the file the user passed count as approved, as written.
    for (const [name, config] of Object.entries(servers)) await approvals.approve(name, config, 'config-file');
  }
  const newAdminToken = await tokens.ensureAdminToken();

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`gatehouse: ${signal}, stopping servers...\n`);
    await host.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  let url: string;
  try {
    ({ url } = await gateway.start());
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? `port ${opts.port} is already in use (try --port 0 or another port)` : errorMessage(error);
    process.stderr.write(`gatehouse: cannot listen on ${opts.host}:${opts.port}: ${why}\n`);
    await host.close();
    return 1;
  }
  if (isWildcard(opts.host) && opts.allowedHosts.length === 0) {
    process.stderr.write(`gatehouse: warning: listening on ${opts.host}; clients elsewhere need --allow-host <their name for this machine>\n`);
  }
  const out: string[] = [
    `Gatehouse ${await packageVersion()} listening on ${url}`,
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
  const servers = gateway.listServers();
  out.push(servers.length === 0 ? 'No servers configured (add some with --config FILE or the admin API).' : 'Servers:');
  for (const s of servers) {
    const detail = s.status === 'running' ? `${s.toolCount} tools` : (s.reason ?? '');
    out.push(`  ${s.name.padEnd(20)} ${s.transport.padEnd(16)} ${s.status.padEnd(8)} ${detail}`);
    if (s.approval === 'pending' || s.approval === 'changed') out.push(`  ${''.padEnd(20)} approve it with: gatehouse approve ${s.name}`);
  }
  process.stdout.write(out.join('\n') + '\n');
  return new Promise<number>(() => {
    // Runs until a signal stops it.
  });
}

/** `gatehouse tokens|secrets|approve ...`: each takes `--data-dir DIR` besides its own options. */
async function runSecurityCommand(command: 'tokens' | 'secrets' | 'approve', argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let dataDir = defaultDataDir(process.platform, env);
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--data-dir' && i + 1 < argv.length) dataDir = argv[++i]!;
    else if (arg.startsWith('--data-dir=')) dataDir = arg.slice('--data-dir='.length);
    else rest.push(arg);
  }
  const io: CommandIo = {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    readStdin: async () => {
      let text = '';
      for await (const chunk of process.stdin) text += String(chunk);
      return text;
    },
    stdinIsTty: process.stdin.isTTY === true,
    confirm: terminalConfirm(),
  };
  if (command === 'tokens') return runTokensCommand(rest, io, dataDir);
  if (command === 'secrets') return runSecretsCommand(rest, io, dataDir, env.GATEHOUSE_KEYRING === 'none' ? { keyring: 'none' } : {});
  const registry = await Registry.open(dataDir);
  try {
    const PATH = await resolveLoginShellPath({ fallback: process.env.PATH ?? '' });
    return await runApproveCommand(rest, io, dataDir, registry, { PATH });
  } finally {
    registry.dispose();
  }
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTNAMES.includes(host.toLowerCase()) || host === '::1' || host.startsWith('127.');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`gatehouse: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
