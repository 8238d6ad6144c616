/**
 * What a client request to an MCP endpoint passes once its token is known and before any
 * endpoint sees it: its body is read and checked (size, JSON depth), and its cost is taken from
 * the token's rate limit. The gateway's own refusals are audited: a body nested too deep at
 * once, 429s at most twice a second per token (a runaway must not flood the timeline it is
 * recorded on).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditRecordInput } from '../audit/audit-event.js';
import { ANONYMOUS, type Principal } from '../routing/route-view.js';
import type { GatewayLimits } from '../security/limits.js';
import type { RateLimiter } from '../security/rate-limit.js';
import { readJsonRequest, sendJsonRpcError, type JsonRpcIdValue } from './body.js';
import { auditClient } from './mcp-endpoints.js';

/** Which way a request goes through the gateway, for the audit. */
export type McpTarget = { way: 'aggregate' } | { way: 'per-server'; server: string };

export interface McpAdmissionDeps {
  /** The limits in force now (some change while running). */
  limits(): Readonly<GatewayLimits>;
  rate: RateLimiter;
  audit(event: AuditRecordInput): void;
  /** How long 429s of one token are gathered into one audit event. Default 1 s. */
  auditWindowMs?: number;
}

/**
 * What a request costs against its token's rate: each JSON-RPC request it carries, except
 * `ping`. Notifications and the client's answers to server requests cost nothing, so a client
 * that keeps its session alive or answers sampling and elicitation is never slowed by it.
 */
export function requestCost(body: unknown): number {
  const messages = Array.isArray(body) ? body : [body];
  let cost = 0;
  for (const message of messages) {
    if (typeof message !== 'object' || message === null) continue;
    const { id, method } = message as { id?: unknown; method?: unknown };
    if (typeof method === 'string' && id !== undefined && method !== 'ping') cost++;
  }
  return cost;
}

/**
 * A `GET /sse` (aggregate or per-server) opens a legacy session, which costs what an
 * `initialize` costs. Other GETs (a session's stream) and DELETEs (closing one) cost nothing.
 */
function opensLegacySession(req: IncomingMessage): boolean {
  return req.method === 'GET' && /\/sse$/.test(new URL(req.url ?? '/', 'http://gateway.invalid').pathname);
}

export class McpAdmission {
  readonly #deps: McpAdmissionDeps;
  readonly #refusals: ThrottledAudit;

  constructor(deps: McpAdmissionDeps) {
    this.#deps = deps;
    this.#refusals = new ThrottledAudit(deps.audit, deps.auditWindowMs ?? 1_000);
  }

  /**
   * Reads a POST's body (later readers of `req` get the same read) and takes its cost from the
   * token's bucket ({@link requestCost}; a GET that opens a legacy session costs one). Resolves
   * false once a refusal was answered: 413 or 400 for the body, 429 with `Retry-After` over the
   * rate. A body that is refused still costs one request.
   */
  async admit(req: IncomingMessage, res: ServerResponse, principal: Principal, target: McpTarget): Promise<boolean> {
    const limits = this.#deps.limits();
    if (req.method !== 'POST') return this.#take(req, res, principal, target, opensLegacySession(req) ? 1 : 0);
    const read = await readJsonRequest(req, { maxBytes: limits.maxBodyBytes, maxDepth: limits.maxJsonDepth });
    if (read.ok) {
      const single = Array.isArray(read.body.value) ? undefined : (read.body.value as { id?: unknown; method?: unknown } | null);
      const id = typeof single?.id === 'string' || typeof single?.id === 'number' ? single.id : null;
      const method = typeof single?.method === 'string' ? single.method : undefined;
      return this.#take(req, res, principal, target, requestCost(read.body.value), id, method);
    }
    if (!this.#take(req, res, principal, target, 1, read.id ?? null, read.method)) return false;
    sendJsonRpcError(res, read.status, read.code, read.message, read.id ?? null);
    if (read.tooDeep) {
      this.#deps.audit({
        ...this.#event(req, principal, target, read.method),
        outcome: 'denied',
        error: { code: read.code, message: read.message },
      });
    }
    return false;
  }

  /** Records the 429s still gathered. */
  dispose(): void {
    this.#refusals.flush();
  }

  #take(req: IncomingMessage, res: ServerResponse, principal: Principal, target: McpTarget, cost: number, id: JsonRpcIdValue = null, method?: string): boolean {
    if (cost === 0 || principal === ANONYMOUS) return true;
    const rate = this.#deps.rate;
    const verdict = rate.take(principal.id, cost);
    if (verdict.ok) return true;
    const seconds = Math.max(1, Math.ceil(verdict.retryAfterSeconds));
    const message =
      `too many requests for token "${principal.name}": the limit is ${rate.ratePerSecond} a second, bursts of ${rate.burst} ` +
      `(ratePerSecond and rateBurst in Settings); retry after ${seconds} s`;
    req.resume();
    res.setHeader('retry-after', String(seconds));
    sendJsonRpcError(res, 429, -32000, message, id);
    this.#refusals.note(principal.id, { ...this.#event(req, principal, target, method), outcome: 'rate_limited', error: { code: 429, message } });
    return false;
  }

  #event(req: IncomingMessage, principal: Principal, target: McpTarget, method: string | undefined): AuditRecordInput {
    const sessionId = req.headers['mcp-session-id'];
    return {
      kind: 'request',
      way: target.way,
      ...(target.way === 'per-server' ? { server: target.server } : {}),
      client: auditClient(req, principal),
      method: method ?? `HTTP ${req.method ?? 'GET'}`,
      ...(typeof sessionId === 'string' ? { sessionId } : {}),
    };
  }
}

/**
 * Audit events that may come by the thousand (429s of a runaway client), per key: the first is
 * recorded at once; the ones that follow within the window are counted and recorded as one
 * event when it ends, so a flood leaves two events a second, not one per request.
 */
class ThrottledAudit {
  readonly #windows = new Map<string, { more: number; last: AuditRecordInput; timer: NodeJS.Timeout }>();

  constructor(
    private readonly record: (event: AuditRecordInput) => void,
    private readonly windowMs: number,
  ) {}

  note(key: string, event: AuditRecordInput): void {
    const open = this.#windows.get(key);
    if (open) {
      open.more++;
      open.last = event;
      return;
    }
    this.record(event);
    const timer = setTimeout(() => this.#close(key), this.windowMs);
    timer.unref();
    this.#windows.set(key, { more: 0, last: event, timer });
  }

  flush(): void {
    for (const key of [...this.#windows.keys()]) this.#close(key);
  }

  #close(key: string): void {
    const window = this.#windows.get(key);
    if (!window) return;
    clearTimeout(window.timer);
    this.#windows.delete(key);
    if (window.more === 0) return;
    const { last } = window;
    const message = `${window.more} more refused within ${this.windowMs / 1000} s; the last: ${last.error?.message ?? ''}`;
    this.record({ ...last, error: { ...last.error, message } });
  }
}
