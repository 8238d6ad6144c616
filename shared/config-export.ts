/**
 * Normalized server definitions back to the user-facing `mcpServers` JSON (export, admin API).
 *
 * Runs in every process (main, renderer, browser): no `node:*` imports here.
 */
import type { ServerConfig } from './server-config.js';

/**
 * The user-facing `mcpServers` entry for a normalized config: the inverse of
 * {@link parseServerEntry}. Defaults are omitted (`args: []`, `env: {}`, `headers: {}`,
 * `enabled: true`, `isolation: "shared"`), but remote entries always carry `type` (`sse` or
 * `streamable-http`), because several clients read a missing `type` as SSE or refuse it.
 */
export function toMcpServersEntry(config: ServerConfig): Record<string, unknown> {
  const entry: Record<string, unknown> = {};
  if (config.transport === 'stdio') {
    entry['command'] = config.command;
    if (config.args.length > 0) entry['args'] = [...config.args];
    if (Object.keys(config.env).length > 0) entry['env'] = { ...config.env };
    if (config.cwd !== undefined) entry['cwd'] = config.cwd;
    if (config.isolation !== 'shared') entry['isolation'] = config.isolation;
    if (config.startup !== undefined) entry['startup'] = config.startup;
    if (config.idleTimeoutMs !== undefined) entry['idleTimeoutMs'] = config.idleTimeoutMs;
  } else {
    entry['type'] = config.transport;
    entry['url'] = config.url;
    if (Object.keys(config.headers).length > 0) entry['headers'] = { ...config.headers };
    if (config.timeout !== undefined) entry['timeout'] = config.timeout;
    if (config.sseReadTimeout !== undefined) entry['sseReadTimeout'] = config.sseReadTimeout;
    if (config.oauth === false) entry['oauth'] = false;
    else if (config.oauth !== undefined) entry['oauth'] = Object.keys(config.oauth).length === 0 ? true : { ...config.oauth };
  }
  if (config.restart !== undefined) entry['restart'] = config.restart;
  if (config.maxRestarts !== undefined) entry['maxRestarts'] = config.maxRestarts;
  if (config.pingIntervalMs !== undefined) entry['pingIntervalMs'] = config.pingIntervalMs;
  if (!config.enabled) entry['enabled'] = false;
  if (config.toolFilter !== undefined) {
    const filter: Record<string, string[]> = {};
    if (config.toolFilter.allow !== undefined) filter['allow'] = [...config.toolFilter.allow];
    if (config.toolFilter.block !== undefined) filter['block'] = [...config.toolFilter.block];
    if (Object.keys(filter).length > 0) entry['toolFilter'] = filter;
  }
  return entry;
}

/** A whole `{ "mcpServers": {...} }` document for export, in the order given. */
export function toMcpServersConfig(
  servers: Readonly<Record<string, ServerConfig>>,
): { mcpServers: Record<string, Record<string, unknown>> } {
  return {
    mcpServers: Object.fromEntries(
      Object.entries(servers).map(([name, config]) => [name, toMcpServersEntry(config)]),
    ),
  };
}
