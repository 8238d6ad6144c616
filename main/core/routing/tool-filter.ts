/**
 * Pure evaluation of a backend's tool filter (`toolFilter: { allow?, block? }` in the registry).
 *
 * Patterns are picomatch globs over the backend's own, un-namespaced tool names. Tool names are
 * plain strings, not paths: `*` and `?` also match `/`, and a leading `.` needs no special
 * pattern. Matching is case-sensitive. Supported syntax: `*`, `**` (same as `*`), `?`, `[abc]`,
 * `[a-z]`, `{a,b}`, `{1..3}`, extglobs such as `+(a|b)`, and `\` to escape a special character.
 * A pattern starting with `!` is picomatch's negation (matches every name the rest does not
 * match); prefer `block` for exclusions.
 *
 * Known limits, inherited from picomatch: `?` matches one UTF-16 code unit (so not a whole
 * astral character such as an emoji), the names `.` and `..` match only patterns that spell them
 * out, and the private-use character U+E000 in a tool name is treated as if it were `/`.
 */
import picomatch from 'picomatch';

import type { ToolFilter } from '../../../shared/server-config.js';

/** Decides whether a backend tool, named by its own un-namespaced name, is exposed. */
export type ToolPredicate = (toolName: string) => boolean;

/**
 * picomatch treats `/` as a path separator that `*` and `?` never cross. Tool names are not
 * paths, so `/` is swapped for a private-use character, in both patterns and names, before
 * matching: the character is then an ordinary one that every wildcard matches.
 */
const SLASH_STAND_IN = '\uE000';

const MATCH_OPTIONS: Readonly<picomatch.PicomatchOptions> = Object.freeze({
  // Names such as `.hidden` are ordinary names here, not dotfiles.
  dot: true,
  // Fixed, so that matching does not depend on the platform: `\` is always an escape.
  windows: false,
  nocase: false,
});

const allowAll: ToolPredicate = () => true;

function toMatchInput(value: string): string {
  return value.replaceAll('/', SLASH_STAND_IN);
}

function compilePatterns(patterns: readonly string[], list: 'allow' | 'block'): picomatch.Matcher {
  patterns.forEach((pattern, index) => {
    const problem = checkToolPattern(pattern);
    if (problem !== undefined) {
      throw new TypeError(`toolFilter.${list}[${index}]: ${problem}`);
    }
  });
  return picomatch(patterns.map(toMatchInput), MATCH_OPTIONS);
}

/**
 * Returns a reason when `pattern` cannot be used in a tool filter, `undefined` when it can.
 * Config validation can call this to report a bad pattern before the filter is compiled.
 */
export function checkToolPattern(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string') return 'pattern must be a string';
  if (pattern.length === 0) return 'pattern is empty';
  try {
    picomatch(toMatchInput(pattern), MATCH_OPTIONS);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return undefined;
}

/**
 * Compiles a tool filter into a predicate over the backend's own tool names.
 *
 * - No filter, or `allow` absent or empty: every tool is allowed unless blocked.
 * - Otherwise a tool is allowed only when it matches at least one `allow` pattern.
 * - A tool that matches any `block` pattern is refused, whatever `allow` says.
 *
 * Compile once per filter and reuse the predicate: it is pure and cheap to call.
 *
 * @throws TypeError when a pattern is not a non-empty string or picomatch rejects it; the
 * message names the list and index (`toolFilter.block[2]: pattern is empty`).
 */
export function compileToolFilter(filter: Readonly<ToolFilter> | undefined): ToolPredicate {
  if (filter === undefined) return allowAll;
  const allow = filter.allow ?? [];
  const block = filter.block ?? [];
  const isAllowed = allow.length > 0 ? compilePatterns(allow, 'allow') : undefined;
  const isBlocked = block.length > 0 ? compilePatterns(block, 'block') : undefined;
  if (isAllowed === undefined && isBlocked === undefined) return allowAll;

  return (toolName: string): boolean => {
    const input = toMatchInput(toolName);
    if (isBlocked !== undefined && isBlocked(input)) return false;
    return isAllowed === undefined || isAllowed(input);
  };
}

/**
 * Returns the tools that `allowed` accepts, in their original order, as a new array.
 * Items are not copied. Use it on a backend's `tools/list` result before namespacing.
 */
export function filterToolList<T extends { name: string }>(
  tools: readonly T[],
  allowed: ToolPredicate,
): T[] {
  return tools.filter((tool) => allowed(tool.name));
}

/**
 * Why a call to a filtered tool is refused: the server's `toolFilter` (for every client), or,
 * when `token` names a client token, that token's own filter (the server allows the tool).
 */
export function filteredToolText(toolName: string, serverName: string, token?: string): string {
  return token === undefined
    ? `Tool "${toolName}" is disabled by the gateway's tool filter for server "${serverName}"`
    : `Tool "${toolName}" is disabled by the tool filter of the client token "${token}" (server "${serverName}" itself allows it)`;
}

/**
 * What a call to a filtered tool gets instead of reaching its backend: an MCP tool error
 * result (`isError: true`), so the model reads why the tool cannot be used. `token` names the
 * client token whose own filter refused it, when that is whose rule it is.
 */
export function filteredToolResult(
  toolName: string,
  serverName: string,
  token?: string,
): { content: Array<{ type: 'text'; text: string }>; isError: true; _meta: Record<string, string> } {
  const text = filteredToolText(toolName, serverName, token);
  // The mark lets the audit tell a filtered call from the tool's own error.
  return { content: [{ type: 'text', text }], isError: true, _meta: { 'io.gatehouse/outcome': 'filtered' } };
}

/**
 * What a call to a name that is not exactly a tool of the backend's catalog gets, worded as the
 * SDK's own `McpServer` words it. Such a call is never forwarded: a backend that matches names
 * loosely (case, spaces, control characters) would run a blocked tool under a near-miss of its
 * name. `why` adds a reason (a backend that has not listed its tools yet).
 */
export function unknownToolError(toolName: string, why?: string): { code: number; message: string } {
  // -32602 is JSON-RPC "Invalid params", as the SDK answers.
  return { code: -32602, message: `Tool ${toolName} not found${why ? ` (${why})` : ''}` };
}
