/**
 * The one answer every way through the gateway gives when a backend does not answer a request
 * in time (aggregate, bridged, pass-through, 2026-07-28 front): an internal error that names the
 * server, the method and the time allowed, marked `timeout` for the audit (`data.outcome`, as
 * the gateway's other failures are).
 */
import type { AuditOutcome } from '../audit/audit-event.js';

/** JSON-RPC "Internal error", the code of every failure the gateway reports for a backend. */
const INTERNAL_ERROR = -32603;

/** The JSON-RPC error object of a request that timed out. */
export interface TimeoutError {
  code: number;
  message: string;
  data: { outcome: AuditOutcome };
}

/** `server "x" did not answer tools/call within 60000 ms`. */
export function timeoutMessage(server: string, method: string | undefined, ms: number): string {
  return `server "${server}" did not answer ${method ?? 'a request'} within ${ms} ms`;
}

/** The error a client gets for `method` of `server` after `ms` without an answer. */
export function timeoutError(server: string, method: string | undefined, ms: number): TimeoutError {
  return { code: INTERNAL_ERROR, message: timeoutMessage(server, method, ms), data: { outcome: 'timeout' } };
}

/** The notification that tells a backend the gateway gave up on request `requestId`. */
export function cancelledNotification(requestId: string | number, reason: string): { jsonrpc: '2.0'; method: 'notifications/cancelled'; params: { requestId: string | number; reason: string } } {
  return { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason } };
}
