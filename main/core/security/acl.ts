/**
 * What a client token may reach: all servers or a list of them, and optionally a tool filter of
 * its own that applies on top of each server's filter (a tool must pass both).
 */
import { z } from 'zod';
import { checkServerName } from '../../../shared/server-config.js';
import type { TokenAcl } from '../../../shared/control-api.js';
import { checkToolPattern, compileToolFilter, type ToolPredicate } from '../routing/tool-filter.js';


/** A token's access rules: the admin API's definition. */
export type { TokenAcl };

/** Full access: every server, every tool the server's own filter lets through. */
export const FULL_ACCESS: Readonly<TokenAcl> = Object.freeze({ servers: '*' });

const globList = z.array(
  z.string().superRefine((pattern, ctx) => {
    const problem = checkToolPattern(pattern);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  }),
);

const serverName = z.string().superRefine((name, ctx) => {
  const problem = checkServerName(name);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** Zod schema of {@link TokenAcl}, as the admin API and the token file accept it. */
export const tokenAclSchema = z.strictObject({
  servers: z.union([z.literal('*'), z.array(serverName)]),
  toolFilter: z.strictObject({ allow: globList.optional(), block: globList.optional() }).optional(),
});

/** Whether a token with `acl` may use `server` (per-server endpoints, aggregate membership). */
export function canUseServer(token: { readonly acl: Readonly<TokenAcl> }, server: string): boolean {
  const servers = token.acl.servers;
  return servers === '*' || servers.includes(server);
}

const compiled = new WeakMap<object, ToolPredicate>();

/**
 * The token's own tool predicate, compiled once per ACL object (ACLs are replaced, never
 * mutated, so caching by identity is safe).
 */
export function tokenToolPredicate(token: { readonly acl: Readonly<TokenAcl> }): ToolPredicate {
  let predicate = compiled.get(token.acl);
  if (!predicate) {
    predicate = compileToolFilter(token.acl.toolFilter);
    compiled.set(token.acl, predicate);
  }
  return predicate;
}

/** A tool is visible to the token only when the server's filter and the token's filter both allow it. */
export function combineToolPredicates(server: ToolPredicate, token: ToolPredicate): ToolPredicate {
  return (tool) => server(tool) && token(tool);
}

/**
 * Whether `token` may see and call `tool` of `server`, given the server's own predicate: the
 * server must be in the ACL and both filters must allow the tool.
 */
export function isToolAllowedFor(
  token: { readonly acl: Readonly<TokenAcl> },
  server: string,
  tool: string,
  serverAllows: ToolPredicate,
): boolean {
  return canUseServer(token, server) && serverAllows(tool) && tokenToolPredicate(token)(tool);
}
