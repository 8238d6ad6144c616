/**
 * Who may call the gateway: client tokens on the MCP endpoints and admin tokens on /admin (the
 * rate limit is taken later, once the body says what a request costs: `mcp-admission.ts`). While no token of a kind has ever existed in this process, its endpoints
 * are open (loopback only, as `serve` enforces); once one has, they stay closed even if the last
 * token is revoked.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ANONYMOUS, type Principal } from '../routing/route-view.js';
import { canUseServer, tokenToolPredicate } from '../security/acl.js';
import type { TokenInfo, TokenStore } from '../security/token-store.js';
import { presentedToken, sendForbidden, sendUnauthorized } from './request-guard.js';

export class RequestAuth {
  readonly #tokens: TokenStore;
  #clientAuthRequired = false;
  #adminAuthRequired = false;
  readonly #tokensInUse = new Set<string>();

  constructor(tokens: TokenStore) {
    this.#tokens = tokens;
  }

  /** Client tokens presented (and valid) since start, for the audit's redaction; memory only. */
  tokensInUse(): Iterable<string> {
    return this.#tokensInUse;
  }

  /**
   * Who a client request comes from, or `undefined` once a refusal was sent: 401 for a missing
   * or unknown token, 403 for an admin token. While no client token
   * has ever existed in this process, everyone is {@link ANONYMOUS} (open on loopback).
   */
  client(req: IncomingMessage, res: ServerResponse): Principal | undefined {
    this.#clientAuthRequired ||= this.#tokens.hasToken('client');
    if (!this.#clientAuthRequired) return ANONYMOUS;
    const presented = presentedToken(req);
    const token = this.#tokens.authenticate(presented);
    if (!token) {
      req.resume();
      sendUnauthorized(res);
      return undefined;
    }
    // Only hashes are stored; the tokens seen in use are kept in memory so the audit can redact them.
    if (presented && this.#tokensInUse.size < 1024) this.#tokensInUse.add(presented);
    if (token.kind !== 'client') {
      req.resume();
      sendForbidden(res, `token "${token.name}" is an admin token: it opens /admin only, not the MCP endpoints`);
      return undefined;
    }
    return principalOf(token);
  }

  /** Admin tokens only (401 without one, 403 for a client token); open while no admin token has existed. */
  admin(req: IncomingMessage, res: ServerResponse): boolean {
    this.#adminAuthRequired ||= this.#tokens.hasToken('admin');
    if (!this.#adminAuthRequired) return true;
    const token = this.#tokens.authenticate(presentedToken(req));
    if (token?.kind === 'admin') return true;
    req.resume();
    if (token) sendForbidden(res, `token "${token.name}" is a client token: the admin API takes admin tokens only`);
    else sendUnauthorized(res);
    return false;
  }
}

/** A client token as the endpoints see it: its ACL's servers and its own tool filter. */
function principalOf(token: TokenInfo): Principal {
  const tools = tokenToolPredicate(token);
  return {
    id: token.id,
    name: token.name,
    canUseServer: (server) => canUseServer(token, server),
    isToolAllowed: (_server, tool) => tools(tool),
  };
}
