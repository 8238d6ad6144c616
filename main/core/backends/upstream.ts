import { SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import type { AuthProvider, ClientCapabilities, FetchLike, Transport } from '@modelcontextprotocol/client';
import { Agent, fetch as undiciFetch } from 'undici';
import type { RemoteServerConfig, StdioServerConfig } from '../../../shared/server-config.js';
import { buildSpawnPlan } from './command-resolver.js';
import { ProcessTransport } from './process-transport.js';

/** Capabilities the gateway can relay to its clients, advertised to backends shared by many sessions. */
export const RELAYED_CLIENT_CAPABILITIES: ClientCapabilities = {
  sampling: {},
  elicitation: { form: {}, url: {} },
  roots: { listChanged: true },
};

export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
export const DEFAULT_SSE_READ_TIMEOUT_MS = 300_000;

/** What stdio backends need from their host: the PATH to resolve commands with. */
export interface StdioEnvironment {
  /** The login shell's PATH (GUI launches don't inherit it), already merged with the gateway's. */
  PATH: string;
}

/**
 * Starts a stdio backend's process. Its environment is the SDK's safe default set, the
 * resolved login-shell PATH and the server's own `env`; never the gateway's whole environment.
 */
export function spawnStdio(config: StdioServerConfig, host: StdioEnvironment): ProcessTransport {
  const env: Record<string, string> = { ...getDefaultEnvironment(), PATH: host.PATH, ...config.env };
  const plan = buildSpawnPlan(config.command, config.args, {
    PATH: env.PATH ?? host.PATH,
    cwd: config.cwd,
    PATHEXT: env.PATHEXT,
  });
  return new ProcessTransport({ ...plan, env, cwd: config.cwd });
}

/** OAuth for a remote backend's transports: the SDK auth seam, and a look at every response (403 step-up). */
export interface RemoteAuth {
  provider: AuthProvider;
  observe?(response: Response): void;
}

/**
 * Outbound HTTP for one remote backend: an undici Agent with the backend's timeouts. A success
 * that is not MCP (the URL of an ordinary JSON API, a login page) fails the request with a
 * {@link NotMcpReplyError} saying what came back, instead of the SDK's schema dump.
 */
export class RemoteConnector {
  readonly #agent: Agent;
  readonly fetch: FetchLike;

  /** `timeoutMs`: how long a response may take to start (the server's `timeout`, else the gateway's). */
  constructor(
    private readonly server: string,
    private readonly config: RemoteServerConfig,
    private readonly auth?: RemoteAuth,
    timeoutMs = config.timeout ?? DEFAULT_REQUEST_TIMEOUT_MS,
  ) {
    this.#agent = new Agent({
      headersTimeout: timeoutMs,
      // SSE streams may legitimately idle; sseReadTimeout bounds the silence.
      bodyTimeout: config.sseReadTimeout ?? DEFAULT_SSE_READ_TIMEOUT_MS,
      connectTimeout: Math.min(timeoutMs, 30_000),
    });
    const agent = this.#agent;
    const base = ((url: string | URL, init?: RequestInit) =>
      undiciFetch(url, { ...(init as object), dispatcher: agent })) as unknown as FetchLike;
    const observe = auth?.observe;
    // Only the MCP exchange itself is checked: OAuth discovery and token requests answer JSON too.
    const endpoint = new URL(config.url);
    const mcpMethod = config.transport === 'sse' ? 'GET' : 'POST';
    const isMcpExchange = (url: string | URL, init?: RequestInit): boolean => {
      const target = new URL(url);
      return target.origin === endpoint.origin && target.pathname === endpoint.pathname && (init?.method ?? 'GET').toUpperCase() === mcpMethod;
    };
    this.fetch = async (url, init) => {
      const response = await base(url, init);
      observe?.(response);
      return isMcpExchange(url, init) ? checkMcpReply(server, response) : response;
    };
  }

  /** A new upstream connection (one per client session) with the configured headers. */
  createTransport(): Transport {
    const url = new URL(this.config.url);
    const requestInit: RequestInit = { headers: { ...this.config.headers } };
    const authProvider = this.auth ? { authProvider: this.auth.provider } : {};
    return this.config.transport === 'sse'
      ? new SSEClientTransport(url, { requestInit, fetch: this.fetch, ...authProvider })
      : new StreamableHTTPClientTransport(url, { requestInit, fetch: this.fetch, ...authProvider });
  }

  async close(): Promise<void> {
    await this.#agent.close().catch(() => {});
  }
}

/** A remote backend answered a request with something that is not MCP; the message names the server. */
export class NotMcpReplyError extends Error {
  override readonly name = 'NotMcpReplyError';
}

/**
 * The response as it came (JSON is re-wrapped once read), unless it is a success that cannot be
 * MCP: JSON that is no JSON-RPC message, or a type other than JSON or an event stream.
 * Error statuses are left to the SDK, which reports them with the status.
 */
async function checkMcpReply(server: string, response: Response): Promise<Response> {
  const status = response.status;
  if (status < 200 || status >= 300 || status === 202 || status === 204) return response;
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'text/event-stream' || type === '') return response;
  const backend = `backend "${server}"`;
  if (type !== 'application/json') {
    await response.body?.cancel().catch(() => {});
    throw new NotMcpReplyError(`${backend} answered with ${type}, not an MCP message (HTTP ${status})`);
  }
  const text = await response.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new NotMcpReplyError(`${backend} answered with application/json that is not valid JSON (HTTP ${status})`);
  }
  if (!isJsonRpc(value)) {
    // Its keys say what it is; its values may hold anything (even a credential echoed back).
    throw new NotMcpReplyError(`${backend} answered with JSON that is not an MCP message (HTTP ${status}): ${describeJson(value)}`);
  }
  return new Response(text, { status, statusText: response.statusText, headers: response.headers });
}

function isJsonRpc(value: unknown): boolean {
  const isMessage = (item: unknown): boolean => typeof item === 'object' && item !== null && (item as { jsonrpc?: unknown }).jsonrpc === '2.0';
  return Array.isArray(value) ? value.length > 0 && value.every(isMessage) : isMessage(value);
}

function describeJson(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (value === null) return 'null';
  if (typeof value !== 'object') return `a ${typeof value}`;
  const keys = Object.keys(value);
  if (keys.length === 0) return 'an empty object';
  const shown = keys.slice(0, 5).map((key) => JSON.stringify(key.length > 40 ? `${key.slice(0, 37)}...` : key));
  return `an object with the key${keys.length === 1 ? '' : 's'} ${shown.join(', ')}${keys.length > 5 ? ', ...' : ''}`;
}

/**
 * An upstream failure in one line: a {@link NotMcpReplyError} anywhere in the cause chain (the
 * SDK wraps it, e.g. in "Version negotiation probe failed: ...") is the whole story.
 */
export function upstreamErrorMessage(error: unknown): string {
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    if (cause instanceof NotMcpReplyError) return cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}
