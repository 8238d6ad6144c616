import type { JSONRPCMessage, RequestId, Transport, TransportSendOptions } from '@modelcontextprotocol/server';
import { cancelledNotification, timeoutError } from './request-timeout.js';
import { filteredToolResult, unknownToolError } from './tool-filter.js';

/** Options of {@link bridgeTransports}. */
export interface BridgeOptions {
  server: string;
  /** Whether `tool` is exactly a tool of the backend's current catalog; calls to other names are refused. */
  hasTool(tool: string): boolean;
  isToolAllowed(tool: string): boolean;
  /** The client token whose own filter refuses `tool` (the server's allows it), for the refusal's wording. */
  refusingToken?(tool: string): string | undefined;
  /** How long a request may wait for the backend's answer; progress restarts the clock. */
  requestTimeoutMs: number;
  onError?(error: Error): void;
  /** The error text for a request the backend will never answer (it died): names the server and what happened. */
  describeLostRequest?(method: string): string;
}

/** Ids of requests given up on, remembered so their late answers are dropped (bounded). */
const MAX_GIVEN_UP = 1024;

/**
 * Connects a client-facing transport to a backend transport, message for message, for the
 * per-server endpoints of stdio backends (and of remote backends reached over the other HTTP
 * transport). Payloads pass unchanged except for the tool filter: a filtered tool is trimmed
 * from `tools/list` results and a call to it is answered with an error, never forwarded; so is
 * a call to a name the backend's catalog does not have.
 *
 * A request the backend does not answer within `requestTimeoutMs` gets the gateway's timeout
 * error, and the backend `notifications/cancelled`; a late answer is dropped.
 *
 * What the backend sends on its own (progress, server-to-client requests) is tied to the
 * client's request it belongs to, so streamable HTTP puts it on that request's stream.
 * Closing either side closes the other. Both transports are started here.
 */
export async function bridgeTransports(front: Transport, upstream: Transport, opts: BridgeOptions): Promise<void> {
  const inFlight: RequestId[] = [];
  const methods = new Map<RequestId, string>();
  const toolListIds = new Set<RequestId>();
  const initializeIds = new Set<RequestId>();
  const progressOwners = new Map<string | number, RequestId>();
  const clocks = new Map<RequestId, NodeJS.Timeout>();
  const givenUp = new Set<RequestId>();
  let closed = false;
  const closeBoth = (): void => {
    if (closed) return;
    closed = true;
    for (const clock of clocks.values()) clearTimeout(clock);
    clocks.clear();
    void front.close().catch(() => {});
    void upstream.close().catch(() => {});
  };
  const fail = (error: unknown): void => opts.onError?.(error instanceof Error ? error : new Error(String(error)));
  const sendFront = (message: JSONRPCMessage, related?: RequestId): void => {
    const options: TransportSendOptions | undefined = related === undefined ? undefined : { relatedRequestId: related };
    front.send(message, options).catch(fail);
  };
  const answerFront = (id: RequestId, error: { code: number; message: string; data?: unknown }): void =>
    sendFront({ jsonrpc: '2.0', id, error } as JSONRPCMessage, id);

  front.onmessage = (message) => {
    if ('method' in message && 'id' in message) {
      if (message.method === 'tools/call') {
        const name = String((message.params as { name?: unknown } | undefined)?.name ?? '');
        if (!opts.hasTool(name)) return answerFront(message.id, unknownToolError(name));
        if (!opts.isToolAllowed(name)) {
          sendFront({ jsonrpc: '2.0', id: message.id, result: filteredToolResult(name, opts.server, opts.refusingToken?.(name)) }, message.id);
          return;
        }
      }
      if (message.method === 'tools/list') toolListIds.add(message.id);
      if (message.method === 'initialize') initializeIds.add(message.id);
      const token = (message.params?._meta as { progressToken?: string | number } | undefined)?.progressToken;
      if (token !== undefined) progressOwners.set(token, message.id);
      inFlight.push(message.id);
      methods.set(message.id, message.method);
      startClock(message.id);
    } else if ('method' in message && message.method === 'notifications/cancelled') {
      forget((message.params as { requestId?: RequestId } | undefined)?.requestId);
    }
    upstream.send(message).catch((error: unknown) => {
      fail(error);
      if ('method' in message && 'id' in message) {
        forget(message.id);
        answerFront(message.id, { code: -32603, message: `server "${opts.server}" is not reachable` });
      }
    });
  };

  upstream.onmessage = (incoming: JSONRPCMessage) => {
    let message = incoming;
    if (!('method' in message)) {
      const id = message.id;
      // The client already got the timeout error for this one.
      if (id !== undefined && givenUp.delete(id)) return;
      if (id !== undefined && toolListIds.has(id) && 'result' in message) message = trimTools(message, opts.isToolAllowed);
      if (id !== undefined && initializeIds.has(id) && 'result' in message) {
        const version = (message.result as { protocolVersion?: string }).protocolVersion;
        if (version) upstream.setProtocolVersion?.(version);
      }
      if (id !== undefined) forget(id);
      sendFront(message, id ?? undefined);
      return;
    }
    if ('id' in message) {
      sendFront(message, inFlight.at(-1));
      return;
    }
    if (message.method === 'notifications/progress') {
      const token = (message.params as { progressToken?: string | number } | undefined)?.progressToken;
      const owner = token === undefined ? undefined : progressOwners.get(token);
      if (owner !== undefined) startClock(owner);
      sendFront(message, owner);
      return;
    }
    sendFront(message);
  };

  /** (Re)starts the time `id` may still wait for its answer. */
  function startClock(id: RequestId): void {
    clearTimeout(clocks.get(id));
    const clock = setTimeout(() => giveUp(id), opts.requestTimeoutMs);
    clock.unref();
    clocks.set(id, clock);
  }

  function giveUp(id: RequestId): void {
    const method = methods.get(id);
    forget(id);
    givenUp.add(id);
    if (givenUp.size > MAX_GIVEN_UP) givenUp.delete(givenUp.values().next().value!);
    const error = timeoutError(opts.server, method, opts.requestTimeoutMs);
    answerFront(id, error);
    // The protocol forbids cancelling initialize; anything else the backend may stop working on.
    if (method !== 'initialize') upstream.send(cancelledNotification(id, error.message)).catch(fail);
  }

  function forget(id: RequestId | undefined): void {
    if (id === undefined) return;
    const at = inFlight.indexOf(id);
    if (at !== -1) inFlight.splice(at, 1);
    clearTimeout(clocks.get(id));
    clocks.delete(id);
    toolListIds.delete(id);
    initializeIds.delete(id);
    methods.delete(id);
    for (const [token, owner] of progressOwners) if (owner === id) progressOwners.delete(token);
  }

  front.onclose = closeBoth;
  // Requests the backend will never answer get an error now, not a stream that just ends.
  upstream.onclose = () => {
    const lost = inFlight.slice().map((id) => {
      const method = methods.get(id) ?? 'a request';
      forget(id);
      const text = opts.describeLostRequest?.(method) ?? `server "${opts.server}" closed the connection while handling ${method}`;
      return front.send({ jsonrpc: '2.0', id, error: { code: -32603, message: text } }, { relatedRequestId: id }).catch(() => {});
    });
    void Promise.allSettled(lost).then(closeBoth);
  };
  front.onerror = fail;
  upstream.onerror = fail;
  await upstream.start();
  await front.start();
}

function trimTools(message: JSONRPCMessage, allowed: (tool: string) => boolean): JSONRPCMessage {
  const result = (message as { result: { tools?: Array<{ name: string }> } }).result;
  if (!Array.isArray(result.tools)) return message;
  return { ...message, result: { ...result, tools: result.tools.filter((t) => allowed(t.name)) } } as JSONRPCMessage;
}
