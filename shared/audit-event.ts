/**
 * The shape of one audit timeline entry, shared by the store, the query and export code, the
 * admin API and the renderer. Plain data only: it is written as one JSON line.
 */

/** What kind of message an event records. */
export const AUDIT_KINDS = ['request', 'notification', 'server_request', 'lifecycle'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

/**
 * How a message ended. The split lets a user tell a network problem (`timeout`,
 * `backend_unreachable`, `backend_http_error`) from the backend's own error (`tool_error`,
 * `rpc_error`) and from the gateway's refusals (`denied` by an ACL or a limit such as the JSON
 * depth, `filtered` by a tool filter, `rate_limited` over the token's rate). New outcomes go at
 * the end.
 */
export const AUDIT_OUTCOMES = [
  'ok',
  'tool_error',
  'rpc_error',
  'denied',
  'filtered',
  'timeout',
  'backend_unreachable',
  'backend_http_error',
  'rate_limited',
] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Which endpoint the message came through. */
export type AuditWay = 'aggregate' | 'per-server';

/** Backend lifecycle transitions recorded on the same timeline. */
export type AuditLifecycleEvent = 'start' | 'exit' | 'restart' | 'error' | 'degraded' | 'recovered' | 'stop';

/** Who sent the message. Never the token itself: only the name it was issued under. */
export interface AuditClient {
  tokenName?: string;
  ip?: string;
  userAgent?: string;
  /** `clientInfo.name` from `initialize`. */
  name?: string;
  /** `clientInfo.version` from `initialize`. */
  version?: string;
}

/** A JSON-RPC error or a transport failure. */
export interface AuditError {
  code?: number | string;
  message: string;
}

/**
 * One audit event as stored and returned by queries. Fields that do not apply to a kind are
 * absent (a lifecycle event has no method, a notification no duration).
 */
export interface AuditEvent {
  /** Milliseconds since the epoch: when the message arrived (requests) or happened. */
  time: number;
  /** Unique id (a UUID unless the caller gave one). */
  id: string;
  kind: AuditKind;
  /** The client's MCP session id. */
  sessionId?: string;
  client?: AuditClient;
  way?: AuditWay;
  /** Backend name. */
  server?: string;
  /** JSON-RPC method, e.g. `tools/call`. */
  method?: string;
  /** The tool, prompt or resource URI the message names (the backend's own name, not the namespaced one). */
  target?: string;
  /**
   * Arguments with secrets replaced by `[REDACTED]`. When the redacted JSON is larger than the
   * store's `maxArgsBytes`, this is the JSON text cut at that size and ended with
   * `…[truncated N bytes]`.
   */
  args?: unknown;
  outcome?: AuditOutcome;
  error?: AuditError;
  durationMs?: number;
  bytesIn?: number;
  bytesOut?: number;
  /** The backend's HTTP status, for HTTP backends. */
  httpStatus?: number;
  /** A short, redacted preview of the result. */
  preview?: string;
  /** Lifecycle events only. */
  event?: AuditLifecycleEvent;
  exitCode?: number | null;
  signal?: string | null;
}
