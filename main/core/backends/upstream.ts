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

/** Outbound HTTP for one remote backend: an undici Agent with the backend's timeouts. */
export class RemoteConnector {
  readonly #agent: Agent;
  readonly fetch: FetchLike;

  /** `timeoutMs`: how long a response may take to start (the server's `timeout`, else the gateway's). */
  constructor(
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
    this.fetch = observe
      ? async (url, init) => {
          const response = await base(url, init);
          observe(response);
          return response;
        }
      : base;
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
