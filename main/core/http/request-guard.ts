/**
 * Checks every request passes before it reaches an endpoint: the Host header (DNS rebinding),
 * the Origin header (web pages driving the gateway), and the token. Plus the answers for the
 * refusals: 401 with `WWW-Authenticate`, 403; and paths whose percent-encoding is malformed.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hashToken } from '../security/token-hash.js';
import { problem } from './admin-api.js';

/** Hostnames every local listener answers to (port-agnostic), as the SDK's localhost guard. */
export const LOOPBACK_HOSTNAMES = ['localhost', '127.0.0.1', '[::1]'];

/** The hostname part of a Host header (`[::1]:7420` → `[::1]`), lower-cased. */
export function hostnameOf(host: string): string {
  const value = host.trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1);
  const colon = value.lastIndexOf(':');
  return colon === -1 ? value : value.slice(0, colon);
}

/**
 * A Host header (or an allow-list entry) split into hostname and port, lower-cased; the port is
 * `undefined` when absent. `undefined` for anything malformed (an unbracketed IPv6 address, a
 * non-numeric port, spaces).
 */
export function parseHost(host: string): { hostname: string; port: number | undefined } | undefined {
  const value = host.trim().toLowerCase();
  const match = /^(\[[0-9a-f:.]+\]|[^\s:[\]/@]+)(?::(\d{1,5}))?$/.exec(value);
  if (!match) return undefined;
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && port > 65535) return undefined;
  return { hostname: match[1]!, port };
}

/**
 * Port-agnostic Host check: the hostname must be one of `allowedHostnames`.
 *
 * @deprecated Use {@link isHostAllowedOnPort}, which also checks the port (a page on
 * `http://localhost:8080` must not reach a gateway on 7420 through a rebound name).
 */
export function isHostAllowed(host: string | undefined, allowedHostnames: readonly string[]): boolean {
  if (!host) return false;
  return allowedHostnames.includes(hostnameOf(host));
}

/**
 * DNS-rebinding guard (MCP transport spec, "Security Warning"): the Host header must be
 * `127.0.0.1:<port>`, `localhost:<port>` or `[::1]:<port>` with the gateway's own port, or match
 * a configured name. A configured name without a port (`gatehouse.lan`) accepts any port, for a
 * reverse proxy in front; one with a port (`gatehouse.lan:8443`) accepts only that port.
 *
 * Other spellings of loopback (`[0:0:0:0:0:0:0:1]`, `127.1`, `localhost.`) are refused: fail
 * closed, no client needs them. A Host without a port means port 80.
 */
export function isHostAllowedOnPort(host: string | undefined, port: number, configuredNames: readonly string[] = []): boolean {
  if (!host) return false;
  const parsed = parseHost(host);
  if (!parsed) return false;
  const presentedPort = parsed.port ?? 80;
  if (LOOPBACK_HOSTNAMES.includes(parsed.hostname) && presentedPort === port) return true;
  return configuredNames.some((name) => {
    const allowed = parseHost(name);
    if (!allowed || allowed.hostname !== parsed.hostname) return false;
    return allowed.port === undefined || allowed.port === presentedPort;
  });
}

/**
 * An origin in canonical form (`scheme://host[:port]`, lower-case, default port dropped), or
 * `undefined` when it is not a URL origin. The opaque origin `null` (sandboxed frames, `file:`)
 * stays `null`, so it can be listed explicitly and is otherwise refused.
 */
export function normalizeOrigin(origin: string): string | undefined {
  const value = origin.trim();
  if (value === 'null') return 'null';
  try {
    const url = new URL(value);
    if (url.origin === 'null') return undefined;
    return url.origin.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Browsers send `Origin`; native MCP clients do not. An absent Origin passes; a present one must
 * be on the allow-list (full origins such as `http://localhost:5173`, compared canonically),
 * otherwise a web page could drive the gateway.
 */
export function isOriginAllowed(origin: string | undefined, allowedOrigins: readonly string[]): boolean {
  if (origin === undefined) return true;
  const presented = normalizeOrigin(origin);
  if (presented === undefined) return false;
  return allowedOrigins.some((allowed) => normalizeOrigin(allowed) === presented);
}

/**
 * The gateway's own origins on `port` (where its UI is served from): loopback in its three
 * spellings, plus `http://<name>` for each configured name (with its port, or the gateway's).
 */
export function selfOrigins(port: number, configuredNames: readonly string[] = []): string[] {
  const origins = LOOPBACK_HOSTNAMES.map((h) => `http://${h}:${port}`);
  for (const name of configuredNames) {
    const parsed = parseHost(name);
    if (parsed) origins.push(`http://${parsed.hostname}:${parsed.port ?? port}`);
  }
  return origins;
}

/** Which rules apply to a request: the MCP endpoints, the admin API, or public paths (`/healthz`). */
export type RequestArea = 'mcp' | 'admin' | 'public';

/** What {@link checkRequest} needs to know. */
export interface GuardPolicy {
  /** The port the gateway actually listens on (after binding port 0). */
  port: number;
  /** Configured Host names (`--allow-host`), with or without port. */
  allowedHosts?: readonly string[];
  /** Origins allowed on the MCP endpoints; none by default (native clients send no Origin). */
  mcpOrigins?: readonly string[];
  /** Origins allowed on `/admin`, besides {@link selfOrigins}. */
  adminOrigins?: readonly string[];
}

/** Outcome of {@link checkRequest}. */
export type GuardVerdict = { ok: true } | { ok: false; status: 403; message: string };

/** Host, then Origin, for one request. The caller answers a refusal with {@link sendForbidden}. */
export function checkRequest(req: IncomingMessage, area: RequestArea, policy: Readonly<GuardPolicy>): GuardVerdict {
  const names = policy.allowedHosts ?? [];
  const host = req.headers.host;
  if (!isHostAllowedOnPort(host, policy.port, names)) {
    return { ok: false, status: 403, message: `Host "${host ?? ''}" is not allowed (DNS rebinding protection)` };
  }
  const origin = req.headers.origin;
  const origins =
    area === 'admin' ? [...selfOrigins(policy.port, names), ...(policy.adminOrigins ?? [])] : area === 'mcp' ? (policy.mcpOrigins ?? []) : [];
  // /healthz answers any Origin-less caller but not web pages: it lists server counts.
  if (!isOriginAllowed(origin, origins)) return { ok: false, status: 403, message: `Origin "${origin}" is not allowed` };
  return { ok: true };
}

/** The token a request presents: `Authorization: Bearer <t>` or `X-API-Key: <t>`. */
export function presentedToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const match = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (match) return match[1]!.trim();
  }
  const apiKey = req.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.trim() !== '') return apiKey.trim();
  return undefined;
}

export { hashToken };

/** Constant-time check of a presented token against stored hashes. */
export function tokenMatches(presented: string | undefined, hashes: readonly Buffer[]): boolean {
  if (presented === undefined) return false;
  const candidate = hashToken(presented);
  let found = false;
  // Compare against every hash, so the time taken does not say which one matched.
  for (const hash of hashes) if (timingSafeEqual(candidate, hash)) found = true;
  return found;
}

/** The `WWW-Authenticate` value of a 401. No `resource_metadata`: advertising OAuth makes clients drop their static token. */
export const WWW_AUTHENTICATE = 'Bearer realm="gatehouse"';

/** 401 for a missing or unknown token. */
export function sendUnauthorized(
  res: ServerResponse,
  message = 'missing or invalid token (send Authorization: Bearer <token> or X-API-Key)',
): void {
  res.setHeader('www-authenticate', WWW_AUTHENTICATE);
  problem(res, 401, message);
}

/** 403: Host or Origin refused, a client token on /admin, a server outside the token's ACL. */
export function sendForbidden(res: ServerResponse, message: string): void {
  problem(res, 403, message);
}

/**
 * The first segment of `path` whose percent-encoding is malformed (`%ZZ`, a cut-off `%E0%A4%A`,
 * bytes that are not UTF-8), or `undefined` when every segment decodes. The router answers such
 * a path with 400 before anything tries to decode it.
 */
export function malformedPathSegment(path: string): string | undefined {
  for (const segment of path.split('/')) {
    try {
      decodeURIComponent(segment);
    } catch {
      return segment;
    }
  }
  return undefined;
}
