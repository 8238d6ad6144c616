/**
 * Which tool names a client sees through an endpoint: the input of the generators' tool-name
 * length and tool-count warnings, worked out the same way by the Clients screen and `gatehouse
 * client show`, from the running gateway's tool list (`GET /admin/tools`).
 *
 * Runs in every process: no `node:*` imports.
 */

/** A tool as the admin API lists it, as much as the warnings need. */
export interface ListedTool {
  server: string;
  /** The server's own name for it (what a per-server endpoint shows). */
  name: string;
  /** The namespaced name the aggregate shows. */
  exposedName: string;
  /** Passes the server's tool filter. */
  enabled: boolean;
}

/** Which endpoint: one server's, or the aggregate (optionally only `servers`, as a token may be limited). */
export interface EndpointScope {
  server?: string;
  servers?: readonly string[];
}

/**
 * The names of the enabled tools the endpoint offers: one server's own names, or the aggregate's
 * namespaced names (of `scope.servers` only, when given). Pass them as `toolNames` to `generate`.
 */
export function endpointToolNames(tools: readonly ListedTool[], scope: Readonly<EndpointScope> = {}): string[] {
  const enabled = tools.filter((tool) => tool.enabled);
  if (scope.server !== undefined) return enabled.filter((tool) => tool.server === scope.server).map((tool) => tool.name);
  const servers = scope.servers;
  return enabled.filter((tool) => servers === undefined || servers.includes(tool.server)).map((tool) => tool.exposedName);
}
