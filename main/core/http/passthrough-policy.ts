/**
 * What the pass-through knows of a backend and of the client calling it, and the answers it
 * gives without forwarding anything: a call to a tool it refuses, a session over the quota.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildFilterRefusal, type ClientPayloadInspection } from './json-rpc-filter.js';
import type { PassthroughAuditSink } from './passthrough-audit.js';
import type { PassthroughLog } from './passthrough-forward.js';
import { sendSessionRefusal, type SessionOwner } from './session-quota.js';

/** One HTTP backend as the per-server pass-through sees it. */
export interface PassthroughBackend {
  /** Server name; the gateway paths are `/servers/<name>/...`. */
  name: string;
  /** The backend's URL. Never shown to clients, not even in error messages. */
  url: string;
  transport: 'sse' | 'streamable-http';
  /** Already resolved (secrets filled in); set on every upstream request, over the client's. */
  headers: Record<string, string>;
  /**
   * How long each request may wait for the backend's answer, in ms (the server's `timeout`, else
   * the gateway's `toolCallTimeoutMs`); then the client gets the gateway's timeout error.
   */
  timeout: number;
  /** Longest silence allowed on a response body, SSE streams included, in ms (default 300 000). */
  sseReadTimeout?: number;
  /** Whether `toolName` is exactly a tool of the backend's current catalog; calls to other names are refused. */
  hasTool(toolName: string): boolean;
  /** Why the backend has no catalog, when it has none (every call is then refused). */
  noCatalog?: string;
  /** The server's tool filter (and the caller's), over the backend's own tool names. */
  isToolAllowed(toolName: string): boolean;
  /** The client token whose own filter refuses a tool (the server's allows it), for the refusal's wording. */
  refusingToken?(toolName: string): string | undefined;
  /** Told when the backend answers 401 to the configured credentials (an OAuth token to refresh). */
  onUnauthorized?(): void;
}

/** Who sends one pass-through request: sessions belong to the token that opened them. */
export interface PassthroughCaller {
  owner: SessionOwner;
  /** Where the exchange's audit events go (way, server and client already set). */
  audit: PassthroughAuditSink;
}

/**
 * Answers (through `reply`) a payload that calls a filtered tool or a name the backend's catalog
 * does not have; false when it calls neither (it may then be forwarded).
 */
export function answerRefusal(
  res: ServerResponse,
  backend: PassthroughBackend,
  payload: unknown,
  inspection: ClientPayloadInspection,
  log: PassthroughLog,
  reply: (refusal: unknown) => void,
): boolean {
  const { blockedTools, unknownTools } = inspection;
  if (blockedTools.length === 0 && unknownTools.length === 0) return false;
  log('info', 'tool call refused', { server: backend.name, filtered: blockedTools, unknown: unknownTools });
  const refusal = buildFilterRefusal(payload, blockedTools, backend.name, (tool) => backend.refusingToken?.(tool), unknownTools, backend.noCatalog);
  if (refusal === undefined) res.writeHead(202).end();
  else reply(refusal);
  return true;
}

/** Refuses a new session over the quota (503 naming the limit), and records the refusal. */
export function refuseSession(req: IncomingMessage, res: ServerResponse, caller: PassthroughCaller, method: string, message: string): void {
  req.resume();
  sendSessionRefusal(res, message);
  caller.audit({ kind: 'request', method, outcome: 'denied', error: { code: 503, message } });
}
