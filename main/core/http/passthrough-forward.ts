import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { cancelledNotification } from '../routing/request-timeout.js';
import { sendJsonRpcError } from './body.js';
import type { ExpiredRequest, PostDeadline } from './passthrough-deadline.js';
import { INTERNAL_ERROR, relayResponse, sendJson } from './passthrough-relay.js';
import type { RelayOptions, SseRelay } from './passthrough-relay.js';
import { BackendAgents, buildUpstreamHeaders, describeUpstreamFailure, mediaType, type UpstreamTarget } from './passthrough-upstream.js';
import { serializeSseEvent } from './sse-stream.js';

/** What the forwarder needs to know about a backend. */
export interface ForwardTarget extends UpstreamTarget {
  isToolAllowed(toolName: string): boolean;
  /** Told when the backend answers 401 to the configured credentials (an OAuth token to refresh). */
  onUnauthorized?(): void;
}

/** How one client request is forwarded. */
export type ForwardOptions = Pick<RelayOptions, 'errorId' | 'claims' | 'rewriteEvent' | 'onStream' | 'watch' | 'onSseRelay'> & {
  method: string;
  url: string;
  body?: Buffer;
  /** The gateway's timeout for the requests of the body (instead of the agent's header timeout). */
  deadline?: PostDeadline;
  /** Told the backend's status and headers before its body is relayed. */
  onResponse?(status: number, headers: IncomingHttpHeaders): void;
  /** Told the requests that ran out of time, once the client got the timeout error for them. */
  onExpired?(expired: ExpiredRequest[]): void;
};

/** Log sink of the pass-through; messages never include backend URLs or credentials. */
export type PassthroughLog = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

type AbortKind = 'client-gone' | 'backend-closed' | 'timeout';

/**
 * The upstream side of the pass-through: forwards a client's request to a backend and relays
 * the answer (see {@link relayResponse}), one connection pool per backend. Closing the client's
 * side aborts the upstream request; a request that runs out of time is answered with the
 * gateway's timeout error. Never throws: failures become JSON-RPC error answers (or, once a
 * stream has started, a destroyed response).
 */
export class UpstreamForwarder {
  readonly #agents = new BackendAgents();
  readonly #inflight = new Map<string, Set<AbortController>>();

  constructor(private readonly log: PassthroughLog) {}

  async forward(req: IncomingMessage, res: ServerResponse, backend: ForwardTarget, opts: ForwardOptions): Promise<void> {
    const controller = new AbortController();
    const open = this.#inflight.get(backend.name) ?? new Set<AbortController>();
    this.#inflight.set(backend.name, open.add(controller));
    const onClose = (): void => {
      if (!res.writableFinished) controller.abort('client-gone' satisfies AbortKind);
    };
    res.once('close', onClose);
    const deadline = opts.deadline;
    let arrived = false;
    let relay: SseRelay | undefined;
    let expired: ExpiredRequest[] | undefined;
    deadline?.start((requests) => {
      expired = requests;
      if (!arrived) controller.abort('timeout' satisfies AbortKind);
      else if (relay) relay.end(requests.map((r) => serializeSseEvent({ event: 'message', data: JSON.stringify(r.answer) })));
      // A JSON body still on its way: nothing can be added to it.
      else res.destroy();
      opts.onExpired?.(requests);
    });
    try {
      let upstream: Dispatcher.ResponseData;
      try {
        upstream = await request(opts.url, {
          method: opts.method as Dispatcher.HttpMethod,
          headers: buildUpstreamHeaders(req.headers, backend.headers),
          body: opts.body,
          signal: controller.signal,
          dispatcher: this.#agents.get(backend),
          // Requests waiting for answers have the gateway's own timeout (which also cancels them).
          ...(deadline?.isWaiting ? { headersTimeout: 0 } : {}),
        });
      } catch (error) {
        if (expired) return sendJson(res, deadline?.isBatch ? expired.map((r) => r.answer) : expired[0]?.answer);
        if (controller.signal.aborted) return this.#answerAborted(res, backend, controller.signal.reason);
        const failure = describeUpstreamFailure(error, backend);
        this.log('warn', 'backend request failed', { server: backend.name, code: failure.code });
        return sendJsonRpcError(res, failure.status, INTERNAL_ERROR, failure.message, opts.errorId ?? null);
      }
      arrived = true;
      if (upstream.statusCode === 401) backend.onUnauthorized?.();
      opts.onResponse?.(upstream.statusCode, upstream.headers);
      // A JSON answer holds every answer of the body: the clock stops here.
      if (mediaType(upstream.headers['content-type']) !== 'text/event-stream') deadline?.dispose();
      await relayResponse(res, upstream, {
        ...opts,
        server: backend.name,
        isToolAllowed: (name) => backend.isToolAllowed(name),
        watch: (message) => {
          deadline?.observe(message);
          return opts.watch?.(message) ?? true;
        },
        onSseRelay: (started) => {
          relay = started;
          opts.onSseRelay?.(started);
        },
        log: (level, msg, fields) => this.log(level, msg, fields),
      });
    } catch (error) {
      if (!controller.signal.aborted && !expired) {
        const failure = describeUpstreamFailure(error, backend);
        this.log('warn', 'backend stream ended with an error', { server: backend.name, code: failure.code });
      }
      if (res.headersSent) res.destroy();
      else sendJsonRpcError(res, 502, INTERNAL_ERROR, `backend "${backend.name}" sent an unusable response`, opts.errorId ?? null);
    } finally {
      deadline?.dispose();
      res.off('close', onClose);
      open.delete(controller);
      if (open.size === 0 && this.#inflight.get(backend.name) === open) this.#inflight.delete(backend.name);
    }
  }

  /**
   * A request of the gateway's own to a backend (a session's DELETE, a cancellation), sent with
   * the backend's configured headers and `headers`; its answer is dropped, a failure logged.
   */
  sendAside(backend: UpstreamTarget, url: string, method: 'POST' | 'DELETE', headers: Record<string, string>, body?: unknown): void {
    const json = body === undefined ? {} : { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    request(url, {
      method,
      headers: { ...buildUpstreamHeaders({}, backend.headers), ...json, ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      dispatcher: this.#agents.get(backend),
    })
      .then((response) => response.body.dump())
      .catch((error: unknown) => this.log('warn', `backend ${method} failed`, { server: backend.name, code: describeUpstreamFailure(error, backend).code }));
  }

  /**
   * Tells the backend the gateway gave up on `expired` (`notifications/cancelled`, one POST each
   * to `url`); `initialize` is never cancelled, as the protocol requires.
   */
  cancel(backend: UpstreamTarget, url: string, headers: Record<string, string>, expired: readonly ExpiredRequest[]): void {
    for (const request of expired) {
      if (request.method === 'initialize') continue;
      this.sendAside(backend, url, 'POST', headers, cancelledNotification(request.id, request.answer.error.message));
    }
  }

  /** Aborts every open upstream request of backend `name` and drops its connection pool. */
  closeBackend(name: string): void {
    const open = this.#inflight.get(name);
    this.#inflight.delete(name);
    for (const controller of open ?? []) controller.abort('backend-closed' satisfies AbortKind);
    void this.#agents.delete(name);
  }

  /** Aborts everything and destroys the connection pools. */
  async close(): Promise<void> {
    for (const name of [...this.#inflight.keys()]) this.closeBackend(name);
    await this.#agents.close();
  }

  #answerAborted(res: ServerResponse, backend: UpstreamTarget, reason: unknown): void {
    if (reason === ('client-gone' satisfies AbortKind) || res.destroyed) return;
    sendJsonRpcError(res, 503, INTERNAL_ERROR, `backend "${backend.name}" was closed by the gateway`);
  }
}
