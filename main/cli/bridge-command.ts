/**
 * `gatehouse bridge [--server NAME] [--url URL] [--token-env NAME]`: a stdio MCP server that
 * forwards everything to a running gateway, for clients that only start local servers (Claude
 * Desktop's config file, JetBrains AI Assistant, Junie). The token comes from an environment
 * variable, never from the command line, where other users could read it in the process list.
 * stdout carries the protocol: everything else goes to stderr.
 */
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { endpointUrl } from '../../shared/client-configs/index.js';
import { GatewayBridge } from '../core/bridge/gateway-bridge.js';
import { createLogger, type LogLevel } from '../core/base/logger.js';
import { describeArgsError } from './parse-command.js';
import { ENV_CLIENT_TOKEN } from '../core/security/token-store.js';

export const BRIDGE_USAGE = `Usage: gatehouse bridge [--server NAME] [--url URL] [--token-env NAME]

A stdio MCP server that forwards everything to a running Gatehouse gateway, for clients that
only run local servers (Claude Desktop, JetBrains AI Assistant, Junie). Reconnects when the
gateway restarts.

  --url URL          the gateway (default http://127.0.0.1:7420), or a full endpoint such as
                     http://127.0.0.1:7420/mcp or .../servers/NAME/mcp
  --server NAME      one server's endpoint instead of the aggregate
  --token-env NAME   the environment variable holding the client token (default ${ENV_CLIENT_TOKEN});
                     the token is never taken from the command line
  --log-level LVL    debug | info | warn | error, on stderr (default warn)`;

/** Where the bridge reads and writes: the real process in the CLI, fakes in tests. */
export interface BridgeIo {
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
}

/** The endpoint the bridge connects to, or an error message. */
export function resolveBridgeUrl(url: string | undefined, server: string | undefined): URL | string {
  let parsed: URL;
  try {
    parsed = new URL(url ?? 'http://127.0.0.1:7420');
  } catch {
    return `--url "${url}" is not a URL`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `--url must be http or https (got "${parsed.protocol}")`;
  if (parsed.pathname === '/' || parsed.pathname === '') return new URL(endpointUrl(parsed.origin, server));
  if (server !== undefined) return '--server cannot be combined with a --url that already names an endpoint';
  return parsed;
}

/** Runs `gatehouse bridge ...` until the client closes stdin; resolves to the exit code. */
export async function runBridgeCommand(argv: readonly string[], io: BridgeIo): Promise<number> {
  let values: { server?: string; url?: string; 'token-env'?: string; 'log-level'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: {
        server: { type: 'string' },
        url: { type: 'string' },
        'token-env': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    io.stderr(`gatehouse bridge: ${describeArgsError(error, ['server', 'url', 'token-env', 'log-level', 'help'])}\n\n${BRIDGE_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.stderr(`${BRIDGE_USAGE}\n`);
    return 0;
  }
  const url = resolveBridgeUrl(values.url, values.server);
  if (typeof url === 'string') {
    io.stderr(`gatehouse bridge: ${url}\n`);
    return 2;
  }
  const level = (values['log-level'] ?? 'warn') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(level)) {
    io.stderr(`gatehouse bridge: --log-level must be debug, info, warn or error\n`);
    return 2;
  }
  const tokenEnv = values['token-env'] ?? ENV_CLIENT_TOKEN;
  const token = io.env[tokenEnv];
  if (!token) io.stderr(`gatehouse bridge: warning: ${tokenEnv} is not set; connecting without a token\n`);
  const logger = createLogger('bridge', { level, write: (line) => io.stderr(`${line}\n`) });
  const bridge = new GatewayBridge(new StdioServerTransport(), { url, ...(token ? { token } : {}), logger });
  const stop = (): void => void bridge.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await bridge.start();
  await bridge.closed;
  return 0;
}
