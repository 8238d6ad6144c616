import type { JSONRPCMessage, RequestId, Transport } from '@modelcontextprotocol/client';
import type { SupervisionClock, TimerHandle } from './clock.js';

/**
 * Watches the traffic of a backend's session transports: when the last message went by, and
 * which requests are still waiting for an answer. A lazy backend is idle when nothing moved
 * for its idle time and no request is in flight (a long tool call is not idleness).
 */
export class IdleWatch {
  readonly #inFlight = new Map<Transport, Set<RequestId>>();
  #lastActivity: number;
  #timer?: TimerHandle;
  #armed = false;

  constructor(
    private readonly clock: SupervisionClock,
    private readonly idleMs: number,
    private readonly onIdle: () => void,
  ) {
    this.#lastActivity = clock.now();
  }

  get inFlight(): number {
    let n = 0;
    for (const ids of this.#inFlight.values()) n += ids.size;
    return n;
  }

  /** Starts counting from now; {@link onIdle} fires once, after `idleMs` without traffic. */
  arm(): void {
    this.#armed = true;
    this.#lastActivity = this.clock.now();
    this.#schedule(this.idleMs);
  }

  disarm(): void {
    this.#armed = false;
    this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#inFlight.clear();
  }

  /**
   * Observes `transport` in place: its `send` and `onmessage` count as activity. The wrapping
   * survives the SDK setting `onmessage` after the fact (Protocol.connect does).
   */
  observe(transport: Transport): void {
    const ids = new Set<RequestId>();
    this.#inFlight.set(transport, ids);
    const send = transport.send.bind(transport);
    transport.send = (message, options) => {
      this.#touch();
      if (isRequest(message)) ids.add(message.id);
      else if (isCancel(message)) ids.delete(message.params.requestId);
      return send(message, options);
    };
    let handler = transport.onmessage;
    Object.defineProperty(transport, 'onmessage', {
      configurable: true,
      enumerable: true,
      get: () =>
        handler &&
        ((message: JSONRPCMessage, extra?: unknown) => {
          this.#touch();
          if (!('method' in message) && message.id !== undefined) ids.delete(message.id);
          (handler as (m: JSONRPCMessage, e?: unknown) => void)(message, extra);
        }),
      set: (next: Transport['onmessage']) => {
        handler = next;
      },
    });
  }

  /** The transport closed: its unanswered requests no longer keep the backend busy. */
  forget(transport: Transport): void {
    this.#inFlight.delete(transport);
    this.#touch();
  }

  #touch(): void {
    this.#lastActivity = this.clock.now();
  }

  #schedule(ms: number): void {
    this.clock.clearTimeout(this.#timer);
    this.#timer = this.clock.setTimeout(() => this.#check(), ms);
  }

  #check(): void {
    if (!this.#armed) return;
    const quietFor = this.clock.now() - this.#lastActivity;
    if (this.inFlight > 0) return this.#schedule(this.idleMs);
    if (quietFor < this.idleMs) return this.#schedule(this.idleMs - quietFor);
    this.#armed = false;
    this.onIdle();
  }
}

function isRequest(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId; method: string } {
  return 'method' in message && 'id' in message && message.id !== undefined;
}

function isCancel(message: JSONRPCMessage): message is JSONRPCMessage & { params: { requestId: RequestId } } {
  return 'method' in message && message.method === 'notifications/cancelled' && !('id' in message);
}
