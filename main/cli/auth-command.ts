/**
 * `gatehouse auth login SERVER | status | logout SERVER`: OAuth sign-in to remote servers,
 * through the admin API of the running gateway (the sign-in's redirect lands on its listener,
 * and the tokens go to its secret store). The admin token comes from `GATEHOUSE_ADMIN_TOKEN`,
 * never from the command line.
 */
import { errorMessage } from '../core/base/logger.js';
import type { CommandIo } from './secrets-command.js';
import { locateGateway } from './gateway-url.js';
import { parseCommand } from './parse-command.js';

export const AUTH_USAGE = `Usage: gatehouse auth login SERVER [--client-id ID] [--client-secret-stdin] [--url URL]
       gatehouse auth status [--url URL]
       gatehouse auth logout SERVER [--url URL]

OAuth sign-in to remote MCP servers, through the running gateway (gatehouse serve).

  login    prints the URL to open in a browser; the sign-in finishes when the browser comes
           back to the gateway (http://127.0.0.1:<port>/oauth/callback/SERVER)
           --client-id ID          a client registered by hand with the provider (instead of
                                   dynamic registration); its redirect URI is the one above
           --client-secret-stdin   read that client's secret from stdin
  status   each OAuth server: signed_in, needs_auth, pending or signed_out (never a token)
  logout   revokes the tokens where the provider supports it, and deletes them

  --url URL        the gateway (default: where the gateway on --data-dir listens, else
                   http://127.0.0.1:7420)
  --data-dir DIR   the gateway's data dir

The admin token is read from GATEHOUSE_ADMIN_TOKEN (the one "gatehouse serve" printed at its
first start, or one from "gatehouse tokens create NAME --admin").`;

/** Where the command reads and writes, plus the environment (for the admin token) and fetch (tests). */
export interface AuthCommandIo extends CommandIo {
  env: Readonly<Record<string, string | undefined>>;
  /** Where the running gateway is looked up when no `--url` is given. */
  defaultDataDir?: string;
  fetch?: typeof fetch;
}

/** Runs `gatehouse auth ...`; resolves to the exit code. */
export async function runAuthCommand(argv: readonly string[], io: AuthCommandIo): Promise<number> {
  const parsed = parseCommand(
    'auth',
    AUTH_USAGE,
    argv,
    { url: { type: 'string' }, 'data-dir': { type: 'string' }, 'client-id': { type: 'string' }, 'client-secret-stdin': { type: 'boolean' } },
    { help: io.stdout, error: io.stderr },
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [action, server, ...extra] = positionals;
  const needsServer = action === 'login' || action === 'logout';
  if (!action || !['login', 'status', 'logout'].includes(action) || (needsServer && !server) || (!needsServer && server) || extra.length > 0) {
    io.stderr(`${AUTH_USAGE}\n`);
    return 2;
  }
  let base: URL;
  try {
    const located = await locateGateway(values.url, values['data-dir'] ?? io.defaultDataDir);
    base = new URL(`${located.address.base}/`);
  } catch (error) {
    io.stderr(`gatehouse auth: ${errorMessage(error)}\n`);
    return 2;
  }
  const token = io.env.GATEHOUSE_ADMIN_TOKEN;
  const doFetch = io.fetch ?? fetch;
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> } | undefined> => {
    try {
      const response = await doFetch(new URL(path, base), {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
      if (response.status === 401 || response.status === 403) {
        io.stderr(
          token
            ? `gatehouse auth: the gateway refused GATEHOUSE_ADMIN_TOKEN (HTTP ${response.status}): it must be an admin token\n`
            : 'gatehouse auth: the gateway asks for an admin token: set GATEHOUSE_ADMIN_TOKEN to the one "gatehouse serve" printed (or create one: gatehouse tokens create NAME --admin)\n',
        );
        return undefined;
      }
      return { status: response.status, json };
    } catch (error) {
      io.stderr(`gatehouse auth: cannot reach the gateway at ${base.origin} (${errorMessage(error)}); start it with "gatehouse serve" or pass --url\n`);
      return undefined;
    }
  };

  if (action === 'status') {
    const result = await call('GET', '/admin/auth');
    if (!result) return 1;
    const servers = (result.json.servers as Array<Record<string, unknown>> | undefined) ?? [];
    if (servers.length === 0) io.stdout('No remote server uses OAuth.\n');
    for (const s of servers) {
      const detail = [s.expiresAt ? `expires ${String(s.expiresAt)}` : '', s.scope ? `scope "${String(s.scope)}"` : '', s.reason ? String(s.reason) : '']
        .filter(Boolean)
        .join('; ');
      io.stdout(`${String(s.server).padEnd(20)} ${String(s.state).padEnd(11)} ${detail}\n`);
    }
    return 0;
  }
  const path = `/admin/servers/${encodeURIComponent(server!)}/auth/${action}`;
  if (action === 'logout') {
    const result = await call('POST', path);
    if (!result) return 1;
    if (result.status !== 200) return fail(io, result.json);
    io.stdout(`Signed out of ${server}${result.json.revoked ? ' (tokens revoked)' : result.json.hadTokens ? ' (the provider offers no revocation: tokens deleted here only)' : ''}.\n`);
    return 0;
  }
  let body: Record<string, string> | undefined;
  if (values['client-id'] !== undefined) {
    body = { clientId: values['client-id'] };
    if (values['client-secret-stdin']) {
      if (io.stdinIsTty) io.stderr('Client secret (then Ctrl-D): ');
      const secret = (await io.readStdin()).replace(/\r?\n$/, '');
      if (secret) body.clientSecret = secret;
    }
  } else if (values['client-secret-stdin']) {
    io.stderr('gatehouse auth: --client-secret-stdin needs --client-id\n');
    return 2;
  }
  const result = await call('POST', path, body);
  if (!result) return 1;
  if (result.status !== 200) return fail(io, result.json);
  if (!result.json.url) {
    io.stdout(`${server} is signed in.\n`);
    return 0;
  }
  io.stdout(`Open this URL in a browser to sign in to ${server}:\n\n  ${String(result.json.url)}\n\nThe gateway finishes the sign-in when the browser comes back; check with: gatehouse auth status\n`);
  return 0;
}

function fail(io: AuthCommandIo, json: Record<string, unknown>): number {
  io.stderr(`gatehouse auth: ${String(json.error ?? 'the gateway refused')}\n`);
  return 1;
}
