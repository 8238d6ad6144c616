import type { Result } from '@modelcontextprotocol/client';
import type { ServerContext } from '@modelcontextprotocol/server';

/** Something the backend asked during a call, as it goes into an `input_required` result. */
export interface InputAsk {
  key: string;
  method: string;
  params: Record<string, unknown>;
}

export type CallOutcome =
  | { kind: 'done'; result: Result }
  | { kind: 'failed'; error: unknown }
  | { kind: 'input'; asks: InputAsk[] };

interface OpenAsk {
  ask: InputAsk;
  sent: boolean;
  resolve(result: Result): void;
  reject(error: Error): void;
}

/**
 * One backend call made for a 2026-07-28 client, across the client's rounds: the backend's
 * server-to-client requests wait here until the client answers them in a retried request.
 * Between rounds no front request is attached, so progress has nowhere to go and is dropped.
 */
export class PendingCall {
  readonly #abort = new AbortController();
  readonly #asks = new Map<string, OpenAsk>();
  #ctx?: ServerContext;
  #progressToken?: string | number;
  #relayed: Array<Promise<void>> = [];
  #outcome?: CallOutcome;
  #wake?: () => void;
  #expiry?: NodeJS.Timeout;
  #nextKey = 1;

  constructor(
    /** Only the token that started the call may continue it. */
    readonly principal: string,
    readonly backend: string,
    readonly method: string,
    ctx: ServerContext,
    progressToken: string | number | undefined,
  ) {
    this.#ctx = ctx;
    this.#progressToken = progressToken;
  }

  /** Aborts the upstream request when the call is abandoned. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  run(request: Promise<Result>): void {
    request.then(
      (result) => this.#settle({ kind: 'done', result }),
      (error: unknown) => this.#settle({ kind: 'failed', error }),
    );
  }

  /** The backend asks the client something; resolves with the client's answer from a later round. */
  ask(request: { method: string; params?: Record<string, unknown> }): Promise<Result> {
    if (this.#abort.signal.aborted) return Promise.reject(new Error('the call was abandoned'));
    return new Promise<Result>((resolve, reject) => {
      const key = `${this.backend}-input-${this.#nextKey++}`;
      this.#asks.set(key, { ask: { key, method: request.method, params: request.params ?? {} }, sent: false, resolve, reject });
      this.#wake?.();
    });
  }

  progress(progress: Record<string, unknown>): void {
    if (this.#progressToken === undefined) return;
    this.notify({ method: 'notifications/progress', params: { ...progress, progressToken: this.#progressToken } });
  }

  /** A notification about this call, on the stream of the client's current round. */
  notify(notification: { method: string; params: Record<string, unknown> }): void {
    const ctx = this.#ctx;
    if (!ctx) return;
    this.#relayed.push(ctx.mcpReq.notify(notification as never).catch(() => {}));
  }

  /** The client's retry: hand its answers to the waiting asks; unanswered ones are asked again. */
  resume(ctx: ServerContext, progressToken: string | number | undefined, responses: Record<string, unknown>): void {
    clearTimeout(this.#expiry);
    this.#ctx = ctx;
    this.#progressToken = progressToken;
    for (const [key, open] of this.#asks) {
      if (key in responses) {
        this.#asks.delete(key);
        open.resolve(responses[key] as Result);
      } else {
        open.sent = false;
      }
    }
  }

  /** No round is attached until the client retries; after `ms` the call is given up. */
  park(ms: number, onExpire: () => void): void {
    this.#ctx = undefined;
    this.#expiry = setTimeout(onExpire, ms);
    this.#expiry.unref();
  }

  abandon(reason: string): void {
    clearTimeout(this.#expiry);
    if (!this.#abort.signal.aborted) this.#abort.abort(new Error(reason));
    for (const open of this.#asks.values()) open.reject(new Error(reason));
    this.#asks.clear();
  }

  /** Waits for the call's result or for the next things to ask; a cancelled round abandons the call. */
  async next(signal: AbortSignal): Promise<CallOutcome> {
    const onAbort = (): void => this.abandon('the client cancelled the request');
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const outcome = await new Promise<CallOutcome>((resolve) => {
        const check = (): void => {
          if (this.#outcome) return resolve(this.#outcome);
          const unsent = [...this.#asks.values()].filter((open) => !open.sent);
          if (unsent.length === 0) {
            this.#wake = check;
            return;
          }
          for (const open of unsent) open.sent = true;
          resolve({ kind: 'input', asks: [...this.#asks.values()].map((open) => open.ask) });
        };
        check();
      });
      this.#wake = undefined;
      // Progress must reach the client before the result closes the round's stream.
      await Promise.all(this.#relayed);
      this.#relayed = [];
      return outcome;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  #settle(outcome: CallOutcome): void {
    this.#outcome ??= outcome;
    this.#wake?.();
  }
}
