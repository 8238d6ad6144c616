/**
 * Normalized server definitions, as the registry stores them and the gateway uses them.
 * The raw `mcpServers` JSON that users write is parsed into these by `config-schema.ts`.
 */

/** How the gateway talks to a backend. `http` in user config is a synonym of `streamable-http`. */
export type TransportKind = 'stdio' | 'sse' | 'streamable-http';

/** Glob patterns over a backend's own (un-namespaced) tool names. `block` wins over `allow`. */
export interface ToolFilter {
  allow?: string[];
  block?: string[];
}

/** `shared`: one process for every client session; `per-client`: a process per client session. */
export type Isolation = 'shared' | 'per-client';

/** `on-failure`: restart after an unexpected exit, a lost connection or missed pings; `never`: stay in `error`. */
export type RestartPolicyKind = 'on-failure' | 'never';

/** `eager`: started with the gateway; `lazy`: started by the first request that needs it (stdio only). */
export type StartupMode = 'eager' | 'lazy';

/** Defaults of the supervision fields; absent fields mean these. */
export const SUPERVISION_DEFAULTS = {
  restart: 'on-failure',
  maxRestarts: 5,
  pingIntervalMs: 30_000,
  startup: 'eager',
  idleTimeoutMs: 10 * 60_000,
} as const;

interface CommonServerConfig {
  /** Disabled servers stay in the registry but are not started or exposed. Default true. */
  enabled: boolean;
  toolFilter?: ToolFilter;
  /** What to do when the backend fails while it should be running. Default `on-failure`. */
  restart?: RestartPolicyKind;
  /** Automatic restarts allowed within 10 minutes before giving up (`error`). Default 5. */
  maxRestarts?: number;
  /** How often a running backend is pinged, in milliseconds; 0 turns health checks off. Default 30 000. */
  pingIntervalMs?: number;
}

export interface StdioServerConfig extends CommonServerConfig {
  transport: 'stdio';
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  isolation: Isolation;
  /** When the process starts. Default `eager`. */
  startup?: StartupMode;
  /** A lazy server is stopped after this long without requests, in milliseconds. Default 600 000. */
  idleTimeoutMs?: number;
}

export interface RemoteServerConfig extends CommonServerConfig {
  transport: 'sse' | 'streamable-http';
  url: string;
  headers: Record<string, string>;
  /** Per-request timeout in milliseconds. */
  timeout?: number;
  /** How long an SSE stream may stay silent before it is considered dead, in milliseconds. */
  sseReadTimeout?: number;
  /**
   * OAuth sign-in for this server. Absent: detected (a 401 with a `WWW-Authenticate: Bearer`
   * challenge, and no configured `Authorization` header, asks the user to sign in). `false`:
   * never. Settings: a pre-registered client id, scopes to ask for, a client ID metadata document.
   */
  oauth?: false | OAuthSettings;
}

/** OAuth settings of a remote server (`oauth: true` in user config is `{}`). */
export interface OAuthSettings {
  /** A client id registered by hand with the authorization server (otherwise: metadata document or dynamic registration). */
  clientId?: string;
  /** Scopes to ask for (default: what the server's protected-resource metadata lists). */
  scopes?: string[];
  /** An https URL of a client ID metadata document describing Gatehouse, for servers that accept them. */
  clientMetadataUrl?: string;
}

export type ServerConfig = StdioServerConfig | RemoteServerConfig;

/** Server names: letters, digits, `-` and `_`, without `__` (the namespace separator). */
export const SERVER_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
export const NAMESPACE_SEPARATOR = '__';

/** Returns a reason when `name` is not a valid server name, `undefined` when it is. */
export function checkServerName(name: string): string | undefined {
  if (name.length === 0) return 'name is empty';
  if (name.length > 64) return 'name is longer than 64 characters';
  if (!SERVER_NAME_PATTERN.test(name)) return 'name may contain only letters, digits, "-" and "_"';
  if (name.includes(NAMESPACE_SEPARATOR)) return 'name may not contain "__" (the namespace separator)';
  return undefined;
}
