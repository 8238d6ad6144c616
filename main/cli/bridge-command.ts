/**
 * `gatehouse bridge [--server NAME] [--url URL] [--token-env NAME]`: a stdio MCP server that
 * forwards everything to a running gateway, for clients that only start local servers (Claude
 * Desktop's config file, JetBrains AI Assistant, Junie). The token comes from an environment
 * variable, never from the command line, where other users could read it in the process list.
 * stdout carries the protocol: everything else goes to stderr.
 */
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { GatewayBridge } from '../core/bridge/gateway-bridge.js';
import { createLogger, errorMessage, type LogLevel } from '../core/base/logger.js';
import { describeArgsError } from './parse-command.js';
import { ENV_CLIENT_TOKEN } from '../core/security/token-store.js';
import { DEFAULT_GATEWAY_URL, endpointAt, locateGateway, parseGatewayUrl } from './gateway-url.js';

export const BRIDGE_USAGE = `Usage: gatehouse bridge [--server NAME] [--url URL] [--token-env NAME]

A stdio MCP server that forwards everything to a running Gatehouse gateway, for clients that
only run local servers (Claude Desktop, JetBrains AI Assistant, Junie). Reconnects when the
gateway restarts; a request waits up to 30 s for the gateway, then gets an error.

  --url URL          the gateway's base URL (http://127.0.0.1:7420) or an endpoint
                     (.../mcp, .../servers/NAME/mcp); default: where the gateway on --data-dir
                     listens (looked up again at each reconnection), else ${DEFAULT_GATEWAY_URL}
  --server NAME      one server's endpoint instead of the aggregate
  --data-dir DIR     the gateway's data dir (default: the usual one)
  --token-env NAME   the environment variable holding the client token (default ${ENV_CLIENT_TOKEN});
                     the token is never taken from the command line
  --log-level LVL    debug | info | warn | error, on stderr (default warn)`;

/** Where the bridge reads and writes: the real process in the CLI, fakes in tests. */
export interface BridgeIo {
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** The data dir whose running gateway the bridge finds when no `--url` is given. */
  defaultDataDir: string;
}

/** The endpoint the bridge connects to, or an error message. */
export function resolveBridgeUrl(url: string | undefined, server: string | undefined): URL | string {
  const address = parseGatewayUrl(url ?? DEFAULT_GATEWAY_URL);
  if (typeof address === 'string') return address;
  try {
    return new URL(endpointAt(address, server));
  } catch (error) {
    return errorMessage(error);
  }
}

/** Runs `gatehouse bridge ...` until the client closes stdin; resolves to the exit code. */
export async function runBridgeCommand(argv: readonly string[], io: BridgeIo): Promise<number> {
  let values: { server?: string; url?: string; 'token-env'?: string; 'log-level'?: string; 'data-dir'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: {
        server: { type: 'string' },
        url: { type: 'string' },
        'token-env': { type: 'string' },
        'log-level': { type: 'string' },
        'data-dir': { type: 'string' },
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
  // Without --url, each reconnection looks again where the gateway on the data dir listens now.
  const dataDir = values['data-dir'] ?? io.defaultDataDir;
  const server = values.server;
  const locate =
    values.url === undefined
      ? async (): Promise<URL> => new URL(endpointAt((await locateGateway(undefined, dataDir)).address, server))
      : undefined;
  const bridge = new GatewayBridge(new StdioServerTransport(), { url, ...(locate ? { locate } : {}), ...(token ? { token } : {}), logger });
  const stop = (): void => void bridge.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await bridge.start();
  await bridge.closed;
  return 0;
}
