import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Hostnames every local listener answers to (port-agnostic), as the SDK's localhost guard. */
export const LOOPBACK_HOSTNAMES = ['localhost', '127.0.0.1', '[::1]'];

/** The hostname part of a Host header (`[::1]:7420` → `[::1]`), lower-cased. */
export function hostnameOf(host: string): string {
  const value = host.trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1);
  const colon = value.lastIndexOf(':');
  return colon === -1 ? value : value.slice(0, colon);
}

/** DNS-rebinding guard: the Host header must name this machine (or a configured name). */
export function isHostAllowed(host: string | undefined, allowedHostnames: readonly string[]): boolean {
  if (!host) return false;
  return allowedHostnames.includes(hostnameOf(host));
}

/**
 * Browsers send `Origin`; native MCP clients do not. A present Origin must be on the allow-list
 * (full origins such as `http://localhost:5173`), otherwise a web page could drive the gateway.
 */
export function isOriginAllowed(origin: string | undefined, allowedOrigins: readonly string[]): boolean {
  if (origin === undefined) return true;
  return allowedOrigins.includes(origin.toLowerCase());
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

/** SHA-256 of a token: what the gateway keeps instead of the token itself. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time check of a presented token against stored hashes. */
export function tokenMatches(presented: string | undefined, hashes: readonly Buffer[]): boolean {
  if (presented === undefined) return false;
  const candidate = hashToken(presented);
  let found = false;
  // Compare against every hash, so the time taken does not say which one matched.
  for (const hash of hashes) if (timingSafeEqual(candidate, hash)) found = true;
  return found;
}
