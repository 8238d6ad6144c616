import { timeoutError, type TimeoutError } from '../routing/request-timeout.js';
import { idKey, isJsonRpcId, RequestIdSet, type JsonRpcId } from './json-rpc-filter.js';

/** A request of a client's POST that ran out of time, with the answer the client gets instead. */
export interface ExpiredRequest {
  id: JsonRpcId;
  method: string;
  answer: { jsonrpc: '2.0'; id: JsonRpcId; error: TimeoutError };
}

/** Requests that never end by design: a 2026-07-28 `subscriptions/listen` stream lasts until closed. */
const OPEN_ENDED = new Set(['subscriptions/listen']);

/**
 * The gateway's call timeout for the requests of one pass-through POST: they have `timeoutMs`
 * to be answered, and progress about any of them restarts the clock. When it runs out, the
 * requests still unanswered go to `onExpire` at once (which answers the client with the timeout
 * error and cancels them upstream). Answers and progress are seen through {@link observe}.
 */
export class PostDeadline {
  readonly #waiting = new Map<string, { id: JsonRpcId; method: string; progressToken?: string | number }>();
  #timer: NodeJS.Timeout | undefined;
  #onExpire: ((expired: ExpiredRequest[]) => void) | undefined;
  /** Whether the body was a batch (its answers then go in an array). */
  readonly isBatch: boolean;

  constructor(
    body: unknown,
    private readonly server: string,
    private readonly timeoutMs: number,
  ) {
    this.isBatch = Array.isArray(body);
    for (const message of Array.isArray(body) ? body : [body]) {
      if (typeof message !== 'object' || message === null) continue;
      const { id, method, params } = message as { id?: unknown; method?: unknown; params?: { _meta?: { progressToken?: unknown } } };
      if (!isJsonRpcId(id) || typeof method !== 'string' || OPEN_ENDED.has(method)) continue;
      const token = params?._meta?.progressToken;
      this.#waiting.set(idKey(id), { id, method, ...(isJsonRpcId(token) ? { progressToken: token } : {}) });
    }
  }

  /** Whether requests are still waiting for their answer. */
  get isWaiting(): boolean {
    return this.#waiting.size > 0;
  }

  /** Starts the clock (nothing happens when no request waits). */
  start(onExpire: (expired: ExpiredRequest[]) => void): void {
    this.#onExpire = onExpire;
    this.#restart();
  }

  /** Sees a message from the backend: an answer stops its request's wait, progress restarts the clock. */
  observe(message: unknown): void {
    if (typeof message !== 'object' || message === null || this.#waiting.size === 0) return;
    const m = message as { id?: unknown; method?: unknown; params?: { progressToken?: unknown } };
    if (m.method === undefined && isJsonRpcId(m.id)) {
      this.#waiting.delete(idKey(m.id));
      if (this.#waiting.size === 0) this.dispose();
      return;
    }
    if (m.method !== 'notifications/progress') return;
    const token = m.params?.progressToken;
    if ([...this.#waiting.values()].some((w) => w.progressToken !== undefined && w.progressToken === token)) this.#restart();
  }

  /** Stops the clock for good (the answer arrived as a whole, or the exchange ended). */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#onExpire = undefined;
  }

  #restart(): void {
    clearTimeout(this.#timer);
    if (this.#waiting.size === 0 || !this.#onExpire) return;
    this.#timer = setTimeout(() => this.#expire(), this.timeoutMs);
    this.#timer.unref();
  }

  #expire(): void {
    const onExpire = this.#onExpire;
    const expired = [...this.#waiting.values()].map(({ id, method }) => ({
      id,
      method,
      answer: { jsonrpc: '2.0' as const, id, error: timeoutError(this.server, method, this.timeoutMs) },
    }));
    this.#waiting.clear();
    this.dispose();
    onExpire?.(expired);
  }
}

/** Ids of requests given up on in a legacy SSE session, so their late answers are dropped. */
export class GivenUpIds {
  readonly #ids = new RequestIdSet();

  add(id: JsonRpcId): void {
    this.#ids.add(id);
  }

  /** Whether `message` answers a request given up on (forgetting it): such an answer is dropped. */
  takeLateAnswer(message: unknown): boolean {
    if (typeof message !== 'object' || message === null) return false;
    const m = message as { id?: unknown; method?: unknown };
    return m.method === undefined && isJsonRpcId(m.id) && this.#ids.delete(m.id);
  }
}
