import type { IncomingHttpHeaders } from 'node:http';
import { Agent } from 'undici';

import {
  DEFAULT_REQUEST_TIMEOUT_MS as DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_SSE_READ_TIMEOUT_MS,
} from '../backends/upstream.js';

/** What the upstream helpers need to know about a backend. */
export interface UpstreamTarget {
  name: string;
  url: string;
  headers: Record<string, string>;
  timeout?: number;
  sseReadTimeout?: number;
}

/**
 * Client headers never forwarded: hop-by-hop headers, the ones undici computes itself, the
 * client's own credentials (gateway tokens must never reach a backend), and the ones that
 * would tell the backend about the gateway's front side. `accept-encoding` is dropped so the
 * backend answers uncompressed: the tool filter has to read the payload.
 */
const STRIPPED_REQUEST_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
  'content-length',
  'accept-encoding',
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'cookie',
  'origin',
  'referer',
]);

/**
 * Backend response headers the client may see. An allowlist rather than a denylist: anything
 * else (`set-cookie`, `location`, `www-authenticate`, `content-location`, `link`, `server`, ...)
 * could carry the backend's address or credentials-related state.
 */
const FORWARDED_RESPONSE_HEADERS = [
  'content-type',
  'cache-control',
  'mcp-session-id',
  'mcp-protocol-version',
  'allow',
  'retry-after',
  'x-accel-buffering',
] as const;

/**
 * The headers for an upstream request: the client's, minus {@link STRIPPED_REQUEST_HEADERS}
 * and anything its `Connection` header names, then the backend's configured headers on top
 * (they win, whatever their case).
 */
export function buildUpstreamHeaders(client: IncomingHttpHeaders, configured: Record<string, string>): Record<string, string | string[]> {
  const named = new Set(
    String(client.connection ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token.length > 0),
  );
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(client)) {
    const lower = name.toLowerCase();
    if (value === undefined || STRIPPED_REQUEST_HEADERS.has(lower) || named.has(lower)) continue;
    headers[lower] = value;
  }
  for (const [name, value] of Object.entries(configured)) headers[name.toLowerCase()] = value;
  return headers;
}

/** The response headers to pass to the client (see {@link FORWARDED_RESPONSE_HEADERS}). */
export function pickResponseHeaders(upstream: IncomingHttpHeaders): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = upstream[name];
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}

/** The media type of a `content-type` header, lower-cased, without parameters. */
export function mediaType(contentType: string | string[] | undefined): string {
  const value = Array.isArray(contentType) ? contentType[0] : contentType;
  return (value ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * Maps an upstream request failure to what the client is told. Only error codes make it into
 * the message: undici's own messages name the backend's address.
 */
export function describeUpstreamFailure(error: unknown, target: UpstreamTarget): { status: 502 | 504; message: string; code: string } {
  const code = errorCode(error);
  const backend = `backend "${target.name}"`;
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
      return { status: 504, code, message: `${backend} did not answer within ${target.timeout ?? DEFAULT_HEADERS_TIMEOUT_MS} ms` };
    case 'UND_ERR_BODY_TIMEOUT':
      return { status: 504, code, message: `${backend} stopped sending its response` };
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { status: 504, code, message: `${backend} is unreachable: connect timeout` };
    case 'UND_ERR_SOCKET':
    case 'ECONNRESET':
      return { status: 502, code, message: `${backend} closed the connection` };
    default:
      if (/^E[A-Z0-9_]+$/.test(code)) return { status: 502, code, message: `${backend} is unreachable: ${code}` };
      return { status: 502, code, message: `${backend} request failed (${code})` };
  }
}

function errorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'unknown error';
  const own = (error as { code?: unknown }).code;
  if (typeof own === 'string' && own.length > 0) return own;
  // Happy-eyeballs connects fail with an AggregateError whose members carry the code.
  const members = (error as { errors?: unknown }).errors;
  if (Array.isArray(members) && members.length > 0) return errorCode(members[0]);
  const cause = (error as { cause?: unknown }).cause;
  if (cause !== undefined && cause !== error) return errorCode(cause);
  return error instanceof Error && error.name !== 'Error' ? error.name : 'unknown error';
}

/**
 * One undici `Agent` per backend, carrying its timeouts. Rebuilt when the backend's URL or
 * timeouts change; {@link close} and {@link delete} destroy agents, which also aborts their
 * open requests.
 */
export class BackendAgents {
  readonly #agents = new Map<string, { signature: string; agent: Agent }>();

  /** The agent for `target`, created on first use. */
  get(target: UpstreamTarget): Agent {
    const headersTimeout = target.timeout ?? DEFAULT_HEADERS_TIMEOUT_MS;
    const bodyTimeout = target.sseReadTimeout ?? DEFAULT_SSE_READ_TIMEOUT_MS;
    const signature = `${target.url}\n${headersTimeout}\n${bodyTimeout}`;
    const cached = this.#agents.get(target.name);
    if (cached?.signature === signature) return cached.agent;
    if (cached) void cached.agent.close().catch(() => undefined);
    const agent = new Agent({ headersTimeout, bodyTimeout });
    this.#agents.set(target.name, { signature, agent });
    return agent;
  }

  /** Destroys the agent of backend `name`, if any. */
  async delete(name: string): Promise<void> {
    const cached = this.#agents.get(name);
    this.#agents.delete(name);
    if (cached) await cached.agent.destroy().catch(() => undefined);
  }

  /** Destroys every agent. */
  async close(): Promise<void> {
    await Promise.all([...this.#agents.keys()].map((name) => this.delete(name)));
  }
}
