/**
 * HTTP routes of the OAuth broker:
 *
 * - `GET /oauth/callback/<server>`: where the authorization server sends the browser back (no
 *   gateway token: the state parameter is the check);
 * - `POST /admin/servers/<name>/auth/login`: starts a sign-in, answers `{ server, url, opened }`:
 *   the URL to open, and `opened: true` when the gateway handed it to its `openUrl` port (the
 *   desktop app's browser); `url: null` when no browser step was needed. Optional body
 *   `{"clientId": "...", "clientSecret": "..."}` for a pre-registered client;
 * - `POST /admin/servers/<name>/auth/logout`: revokes and deletes the stored tokens;
 * - `GET /admin/auth`: every OAuth server's sign-in state, never a token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RemoteServerConfig, ServerConfig } from '../../../shared/server-config.js';
import { errorMessage } from '../base/logger.js';
import { json, problem, readJson } from '../http/admin-api.js';
import type { OAuthBroker } from './broker.js';
import { usesOAuth } from './broker.js';

/** What the routes need from the gateway. */
export interface OAuthRouteDeps {
  broker: OAuthBroker;
  servers: { get(name: string): ServerConfig | undefined; list(): ReadonlyArray<{ name: string; config: ServerConfig }> };
  maxBodyBytes: number;
}

/** `GET /oauth/callback/<server>`: finishes a sign-in and shows a short page. */
export async function handleOAuthCallback(req: IncomingMessage, res: ServerResponse, path: string, url: URL, deps: OAuthRouteDeps): Promise<void> {
  req.resume();
  if (req.method !== 'GET') return problem(res, 405, 'use GET on /oauth/callback/<server>');
  const server = safeDecode(path.slice('/oauth/callback/'.length));
  const config = server === undefined ? undefined : deps.servers.get(server);
  const remote = config && config.transport !== 'stdio' ? config : undefined;
  const result = await deps.broker.handleCallback(server ?? '', remote, url.searchParams);
  const body = result.ok
    ? page('Signed in', `Gatehouse is signed in to "${result.server}". You can close this tab.`)
    : page('Sign-in failed', result.message);
  res.writeHead(result.ok ? 200 : result.status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // The page is static text: no scripts, no frames, no referrer carrying the code onwards.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  });
  res.end(body);
}

/** The `/admin` OAuth routes; `false` when `url` is not one of them. */
export async function handleOAuthAdminRequest(req: IncomingMessage, res: ServerResponse, url: URL, deps: OAuthRouteDeps): Promise<boolean> {
  const path = url.pathname;
  if (path === '/admin/auth') {
    if (req.method !== 'GET') {
      req.resume();
      problem(res, 405, 'use GET on /admin/auth');
      return true;
    }
    const servers = [];
    for (const { name, config } of deps.servers.list()) {
      if (config.transport === 'stdio') continue;
      const status = await deps.broker.status(name, config);
      if (status) servers.push(status);
    }
    json(res, 200, { servers });
    return true;
  }
  const match = /^\/admin\/servers\/([^/]+)\/auth\/(login|logout)$/.exec(path);
  if (!match) return false;
  if (req.method !== 'POST') {
    req.resume();
    problem(res, 405, `use POST on ${path}`);
    return true;
  }
  const name = safeDecode(match[1]!) ?? '';
  const config = deps.servers.get(name);
  if (!config) {
    req.resume();
    problem(res, 404, `no server named "${name}"`);
    return true;
  }
  if (config.transport === 'stdio') {
    req.resume();
    problem(res, 400, `server "${name}" is a stdio server: OAuth is for remote servers`);
    return true;
  }
  if (match[2] === 'logout') {
    req.resume();
    const result = await deps.broker.logout(name, config);
    json(res, 200, { server: name, ...result });
    return true;
  }
  return login(req, res, name, config, deps);
}

async function login(req: IncomingMessage, res: ServerResponse, name: string, config: RemoteServerConfig, deps: OAuthRouteDeps): Promise<true> {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  const body = hasBody ? await readJson(req, res, deps.maxBodyBytes) : (req.resume(), {});
  if (body === undefined) return true;
  const { clientId, clientSecret } = body as { clientId?: unknown; clientSecret?: unknown };
  if ((clientId !== undefined && (typeof clientId !== 'string' || clientId === '')) || (clientSecret !== undefined && typeof clientSecret !== 'string')) {
    problem(res, 400, '"clientId" and "clientSecret" must be strings');
    return true;
  }
  if (clientSecret !== undefined && clientId === undefined) {
    problem(res, 400, '"clientSecret" needs a "clientId"');
    return true;
  }
  if (!usesOAuth(config)) {
    problem(res, 400, `server "${name}" does not use OAuth (it has "oauth": false or an Authorization header)`);
    return true;
  }
  try {
    const client = typeof clientId === 'string' ? { clientId, ...(typeof clientSecret === 'string' && clientSecret !== '' ? { clientSecret } : {}) } : undefined;
    const { url, opened } = await deps.broker.startLogin(name, config, client);
    json(res, 200, url ? { server: name, url, opened } : { server: name, url: null, opened: false, status: 'signed_in' });
  } catch (error) {
    problem(res, 502, `cannot start a sign-in to "${name}": ${errorMessage(error)}`);
  }
  return true;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function page(title: string, message: string): string {
  const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)} - Gatehouse</title></head><body style="font-family:sans-serif;margin:3em"><h1>${escape(title)}</h1><p>${escape(message)}</p></body></html>`;
}
