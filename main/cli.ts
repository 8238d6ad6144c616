#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseConfigText } from '../shared/config-schema.js';
import { createLogger, errorMessage, type LogLevel } from './core/base/logger.js';
import { defaultDataDir } from './core/config/data-dir.js';
import { Registry } from './core/config/registry.js';
import { resolveLoginShellPath } from './core/backends/shell-path.js';
import { Gateway } from './core/gateway.js';
import { LOOPBACK_HOSTNAMES } from './core/http/request-guard.js';
import { packageVersion } from './core/version.js';

const USAGE = `Usage: gatehouse serve [options]

Runs the Gatehouse MCP gateway without the desktop app.

Options:
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

Environment:
  GATEHOUSE_TOKEN        token clients must send (Authorization: Bearer ... or X-API-Key)
  GATEHOUSE_ADMIN_TOKEN  token the /admin API requires
  GATEHOUSE_DATA_DIR     default for --data-dir`;

/** Entry point of the `gatehouse` command; returns the process exit code. */
async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '7420' },
        'allow-host': { type: 'string', multiple: true },
        'data-dir': { type: 'string' },
        'log-level': { type: 'string', default: 'info' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    process.stderr.write(`gatehouse: ${errorMessage(error)}\n\n${USAGE}\n`);
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
  const clientToken = env.GATEHOUSE_TOKEN || undefined;
  const adminToken = env.GATEHOUSE_ADMIN_TOKEN || undefined;
  // Off loopback, an open admin API would let anyone on the network run commands.
  if (!isLoopback(host) && (!clientToken || !adminToken)) {
    process.stderr.write(
      `gatehouse: refusing to listen on ${host} without tokens: set both GATEHOUSE_TOKEN and GATEHOUSE_ADMIN_TOKEN\n`,
    );
    return 2;
  }
  const allowedHosts = [...(values['allow-host'] ?? [])];
  if (!isLoopback(host) && !isWildcard(host)) allowedHosts.push(host.includes(':') ? `[${host}]` : host);
  return serve({
    configFile: values.config,
    host,
    port,
    dataDir: values['data-dir'] ?? defaultDataDir(),
    level,
    clientToken,
    adminToken,
    allowedHosts,
  });
}

interface ServeOptions {
  configFile: string | undefined;
  host: string;
  port: number;
  dataDir: string;
  level: LogLevel;
  clientToken: string | undefined;
  adminToken: string | undefined;
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
  const registry = await Registry.open(opts.dataDir, { logger: logger.child('registry') });
  for (const warning of registry.warnings) process.stderr.write(`gatehouse: warning: ${warning}\n`);
  if (imported?.ok) {
    const { added, updated } = await registry.importServers(imported.servers);
    logger.info('config imported', { file: opts.configFile, added, updated });
  }
  const PATH = await resolveLoginShellPath({ fallback: process.env.PATH ?? '' });
  const gateway = new Gateway({
    registry,
    dataDir: opts.dataDir,
    host: opts.host,
    port: opts.port,
    stdioEnv: { PATH },
    logger,
    version: await packageVersion(),
    allowedHosts: opts.allowedHosts,
    ...(opts.clientToken ? { clientToken: opts.clientToken } : {}),
    ...(opts.adminToken ? { adminToken: opts.adminToken } : {}),
  });

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`gatehouse: ${signal}, stopping servers...\n`);
    await gateway.stop();
    registry.dispose();
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
    await gateway.stop();
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
  if (!opts.clientToken) out.push('  warning: GATEHOUSE_TOKEN is not set, so any local process can use the MCP endpoints');
  if (!opts.adminToken) out.push('  warning: GATEHOUSE_ADMIN_TOKEN is not set, so any local process can use the admin API');
  const servers = gateway.listServers();
  out.push(servers.length === 0 ? 'No servers configured (add some with --config FILE or the admin API).' : 'Servers:');
  for (const s of servers) {
    const detail = s.status === 'running' ? `${s.toolCount} tools` : (s.reason ?? '');
    out.push(`  ${s.name.padEnd(20)} ${s.transport.padEnd(16)} ${s.status.padEnd(8)} ${detail}`);
  }
  process.stdout.write(out.join('\n') + '\n');
  return new Promise<number>(() => {
    // Runs until a signal stops it.
  });
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
