/**
 * `gatehouse tokens list | create NAME [--servers a,b] [--tools-allow g] [--tools-block g] [--admin] | revoke ID`:
 * manages `tokens.json`. A new token's secret is printed once, on stdout alone, so it can be
 * piped; only its hash is kept. A running `gatehouse serve` picks up changes within seconds
 * (a revoked token's open sessions are closed then).
 */
import { errorMessage } from '../core/base/logger.js';
import type { TokenAcl } from '../core/security/acl.js';
import { TokenStore, type TokenInfo } from '../core/security/token-store.js';
import { parseCommand } from './parse-command.js';
import type { CommandIo } from './secrets-command.js';

export const TOKENS_USAGE = `Usage:
  gatehouse tokens list                      every token: id, kind, name, servers, created, last used
  gatehouse tokens create NAME [options]     create a token and print its secret once
      --servers a,b       only these servers (default: all)
      --tools-allow GLOB  only tools matching GLOB (repeatable), on top of each server's filter
      --tools-block GLOB  never tools matching GLOB (repeatable)
      --admin             an admin token (opens /admin only) instead of a client token
      --force             accept --servers names that are not in the registry (yet)
  gatehouse tokens revoke ID                 revoke a token; its open sessions are closed

Clients send the token as "Authorization: Bearer <token>" or "X-API-Key: <token>".`;

/** Runs `gatehouse tokens ...` (`argv` is what follows `tokens`); resolves to the exit code. */
export async function runTokensCommand(argv: readonly string[], io: Pick<CommandIo, 'stdout' | 'stderr'>, dataDir: string): Promise<number> {
  const parsed = parseCommand(
    'tokens',
    TOKENS_USAGE,
    argv,
    {
      servers: { type: 'string' },
      'tools-allow': { type: 'string', multiple: true },
      'tools-block': { type: 'string', multiple: true },
      admin: { type: 'boolean' },
      force: { type: 'boolean' },
    },
    { help: io.stdout, error: io.stderr },
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [action, arg, ...extra] = positionals;
  const needsArg = action === 'create' || action === 'revoke';
  const hasCreateOptions = values.servers !== undefined || values.admin || values.force || values['tools-allow'] || values['tools-block'];
  if (
    !action ||
    !['list', 'create', 'revoke'].includes(action) ||
    (needsArg ? arg === undefined || extra.length > 0 : arg !== undefined) ||
    (action !== 'create' && hasCreateOptions)
  ) {
    io.stderr(`${TOKENS_USAGE}\n`);
    return 2;
  }
  // Tokens from this process's environment are not the running gateway's: leave them out.
  const tokens = await TokenStore.open(dataDir, { env: {} });
  for (const warning of tokens.warnings) io.stderr(`gatehouse: warning: ${warning}\n`);
  try {
    if (action === 'list') {
      const list = tokens.list();
      if (list.length === 0) io.stdout('No tokens stored.\n');
      for (const token of list) io.stdout(formatToken(token));
      return 0;
    }
    if (action === 'create') {
      if (values.admin && (values.servers !== undefined || values['tools-allow'] || values['tools-block'])) {
        io.stderr('gatehouse tokens: --servers and --tools-* apply to client tokens only\n');
        return 2;
      }
      const servers = values.servers === undefined ? '*' : values.servers.split(',').map((s) => s.trim()).filter(Boolean);
      if (servers !== '*' && !values.force) {
        // A token for a misspelt server reaches nothing, and nothing would say so.
        // Loaded here only: the registry brings lowdb and zod, which `tokens list` does not need.
        const known = await import('./known-servers.js');
        const lines = known.unknownServerLines('tokens', servers, await known.registeredServerNames(dataDir));
        if (lines.length > 0) {
          io.stderr(`${lines.join('\n')} Nothing was created; --force creates the token anyway.\n`);
          return 2;
        }
      }
      const acl: TokenAcl = {
        servers,
        ...(values['tools-allow'] || values['tools-block']
          ? { toolFilter: { ...(values['tools-allow'] ? { allow: values['tools-allow'] } : {}), ...(values['tools-block'] ? { block: values['tools-block'] } : {}) } }
          : {}),
      };
      let created;
      try {
        created = await tokens.create(arg!, values.admin ? 'admin' : 'client', acl);
      } catch (error) {
        io.stderr(`gatehouse tokens: ${errorMessage(error)}\n`);
        return 1;
      }
      io.stderr(`Created ${created.token.kind} token "${created.token.name}" (id ${created.token.id}). Its secret is shown once; copy it now:\n`);
      io.stdout(`${created.secret}\n`);
      return 0;
    }
    const result = await tokens.revoke(arg!);
    if (result === 'unknown') {
      io.stderr(`gatehouse tokens: no token with id "${arg}" (see gatehouse tokens list)\n`);
      return 1;
    }
    if (result === 'ephemeral') {
      io.stderr(`gatehouse tokens: "${arg}" comes from the environment; unset the variable and restart serve\n`);
      return 1;
    }
    io.stdout(`Revoked token ${arg}. A running gatehouse serve refuses it within seconds and closes its sessions.\n`);
    return 0;
  } finally {
    await tokens.close();
  }
}

function formatToken(token: TokenInfo): string {
  const servers = token.kind === 'admin' ? '(admin API)' : token.acl.servers === '*' ? 'all servers' : token.acl.servers.join(',');
  const filter = token.acl.toolFilter ? ' +tool filter' : '';
  const used = token.lastUsedAt ? `used ${token.lastUsedAt}` : 'never used';
  return `${token.id}  ${token.kind.padEnd(6)}  ${token.name.padEnd(20)}  ${servers}${filter}  created ${token.createdAt}  ${used}\n`;
}
