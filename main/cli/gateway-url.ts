/**
 * Where the gateway is, for the commands that point clients at it (`client show`, `client
 * install`, `bridge`): `--url` when given (the base URL or any endpoint, as `serve` prints them),
 * else the URL the running gateway recorded in the data dir, else the default address.
 */
import { endpointUrl } from '../../shared/client-configs/index.js';
import { readRunningGateway } from '../core/config/data-dir-lock.js';

/** Where `gatehouse serve` listens by default. */
export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:7420';

/** A gateway address: its base URL, and the server when the URL named one server's endpoint. */
export interface GatewayAddress {
  /** Origin plus any path prefix (a reverse proxy's), no trailing slash: `http://127.0.0.1:7420`. */
  base: string;
  server?: string;
}

/**
 * Reads a gateway URL in any of its forms: the base (`http://127.0.0.1:7420`), the aggregate
 * endpoint (`.../mcp`, `.../sse`) or one server's (`.../servers/NAME/mcp`); an error message
 * when it is not an http(s) URL.
 */
export function parseGatewayUrl(text: string): GatewayAddress | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `--url "${text}" is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `--url must be http or https (got "${url.protocol}")`;
  const pathname = url.pathname.replace(/\/+$/, '');
  const perServer = /^(.*)\/servers\/([^/]+)\/(?:mcp|sse)$/.exec(pathname);
  if (perServer) return { base: `${url.origin}${perServer[1]}`, server: decodeURIComponent(perServer[2]!) };
  const aggregate = /^(.*)\/(?:mcp|sse)$/.exec(pathname);
  return { base: `${url.origin}${aggregate ? aggregate[1] : pathname}` };
}

/**
 * The server an address is for: `server` (from `--server`), else the one its URL named.
 *
 * @throws Error when both are given and disagree.
 */
export function serverAt(address: Readonly<GatewayAddress>, server: string | undefined): string | undefined {
  if (server !== undefined && address.server !== undefined && server !== address.server) {
    throw new Error(`--server ${server} does not match the server in --url (${address.server})`);
  }
  return server ?? address.server;
}

/**
 * The streamable-HTTP endpoint for `server` (or the aggregate) at `address`.
 *
 * @throws Error when `server` and a server named in the URL disagree.
 */
export function endpointAt(address: Readonly<GatewayAddress>, server: string | undefined): string {
  return endpointUrl(address.base, serverAt(address, server));
}

/** Where the gateway is, and how that was found (for a note to the user). */
export interface LocatedGateway {
  address: GatewayAddress;
  source: 'flag' | 'running' | 'default';
}

/**
 * `--url` when given; else the running gateway's URL from `dataDir`'s lock (when a data dir is
 * given); else the default.
 *
 * @throws Error when `--url` is not an http(s) URL.
 */
export async function locateGateway(url: string | undefined, dataDir: string | undefined): Promise<LocatedGateway> {
  if (url !== undefined) {
    const address = parseGatewayUrl(url);
    if (typeof address === 'string') throw new Error(address);
    return { address, source: 'flag' };
  }
  const running = dataDir === undefined ? undefined : await readRunningGateway(dataDir).catch(() => undefined);
  if (running?.url) return { address: { base: running.url }, source: 'running' };
  return { address: { base: DEFAULT_GATEWAY_URL }, source: 'default' };
}
