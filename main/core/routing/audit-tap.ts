import { CLIENT_INFO_META_KEY } from '@modelcontextprotocol/server';
import type { JSONRPCMessage, RequestId, Transport } from '@modelcontextprotocol/server';
import type { AuditClient, AuditOutcome, AuditRecordInput, AuditWay } from '../audit/audit-event.js';
import { backendForUri, type RouteView } from './route-view.js';

/** Where audit events go (the store's `record`, or nothing when the audit is off). */
export type AuditSink = (event: AuditRecordInput) => void;

/** What a tap knows about the client side of one session (or one 2026-07-28 request). */
export interface TapContext {
  way: AuditWay;
  client: AuditClient;
  sessionId(): string | undefined;
  /** Which backend and backend-side name a request is for (`undefined` when it names none). */
  route(method: string, params: Record<string, unknown> | undefined): { server?: string; target?: string };
}

/** Marks a result the gateway produced itself, so the audit can say why. */
export const OUTCOME_META_KEY = 'io.gatehouse/outcome';

interface OpenRequest {
  time: number;
  method: string;
  params: Record<string, unknown> | undefined;
  bytes: number;
}

/**
 * Watches the client side of a front transport and records one audit event per JSON-RPC
 * message: a request when its response goes out (with duration, outcome and sizes), a
 * server-to-client request when the client answers it, and every notification either way.
 * Installed after the transport is connected, since connecting sets `onmessage`.
 */
export function tapTransport(transport: Transport, ctx: TapContext, sink: AuditSink): void {
  const requests = new Map<RequestId, OpenRequest>();
  const asks = new Map<RequestId, OpenRequest>();
  const onmessage = transport.onmessage;
  transport.onmessage = (message, extra) => {
    try {
      observeIncoming(message);
    } catch {
      // The audit never stands in the way of a message.
    }
    onmessage?.(message, extra);
  };
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    try {
      observeOutgoing(message);
    } catch {
      // As above.
    }
    return send(message, options);
  };

  function observeIncoming(message: JSONRPCMessage): void {
    const bytes = sizeOf(message);
    if ('method' in message) {
      const params = message.params as Record<string, unknown> | undefined;
      if (message.method === 'initialize') noteClientInfo(ctx.client, params?.clientInfo);
      // 2026-07-28 requests carry the client's identity in their own _meta envelope.
      const envelopeInfo = (params?._meta as Record<string, unknown> | undefined)?.[CLIENT_INFO_META_KEY];
      if (envelopeInfo) noteClientInfo(ctx.client, envelopeInfo);
      if ('id' in message) requests.set(message.id, { time: Date.now(), method: message.method, params, bytes });
      else sink(base('notification', message.method, params, { bytesIn: bytes }));
      return;
    }
    if (message.id === undefined) return;
    const ask = asks.get(message.id);
    if (!ask) return;
    asks.delete(message.id);
    sink({
      ...base('server_request', ask.method, ask.params, { bytesOut: ask.bytes, bytesIn: bytes }),
      time: ask.time,
      durationMs: Date.now() - ask.time,
      ...outcomeOf(message),
    });
  }

  function observeOutgoing(message: JSONRPCMessage): void {
    const bytes = sizeOf(message);
    if ('method' in message) {
      const params = message.params as Record<string, unknown> | undefined;
      if ('id' in message) asks.set(message.id, { time: Date.now(), method: message.method, params, bytes });
      else sink(base('notification', message.method, params, { bytesOut: bytes }));
      return;
    }
    if (message.id === undefined) return;
    const request = requests.get(message.id);
    if (!request) return;
    requests.delete(message.id);
    sink({
      ...base('request', request.method, request.params, { bytesIn: request.bytes, bytesOut: bytes }),
      time: request.time,
      durationMs: Date.now() - request.time,
      ...outcomeOf(message),
    });
  }

  function base(
    kind: AuditRecordInput['kind'],
    method: string,
    params: Record<string, unknown> | undefined,
    sizes: { bytesIn?: number; bytesOut?: number },
  ): AuditRecordInput {
    const sessionId = ctx.sessionId();
    const { server, target } = safeRoute(ctx, method, params);
    const args = argumentsOf(method, params);
    return {
      kind,
      way: ctx.way,
      method,
      client: ctx.client,
      ...(sessionId ? { sessionId } : {}),
      ...(server ? { server } : {}),
      ...(target ? { target } : {}),
      ...(args !== undefined ? { args } : {}),
      ...sizes,
    };
  }
}

/** The outcome of a response: the gateway's own marks first, then the JSON-RPC shape. */
export function outcomeOf(message: JSONRPCMessage): Pick<AuditRecordInput, 'outcome' | 'error' | 'preview' | 'httpStatus'> {
  if ('error' in message && message.error) {
    const data = message.error.data as { outcome?: AuditOutcome; httpStatus?: number } | undefined;
    return {
      outcome: data?.outcome ?? 'rpc_error',
      error: { code: message.error.code, message: message.error.message },
      ...(data?.httpStatus !== undefined ? { httpStatus: data.httpStatus } : {}),
    };
  }
  if (!('result' in message)) return {};
  const result = message.result as { isError?: boolean; content?: unknown; _meta?: Record<string, unknown> };
  const marked = result._meta?.[OUTCOME_META_KEY] as AuditOutcome | undefined;
  const outcome: AuditOutcome = marked ?? (result.isError ? 'tool_error' : 'ok');
  return { outcome, preview: result.content ?? result };
}

function safeRoute(ctx: TapContext, method: string, params: Record<string, unknown> | undefined): { server?: string; target?: string } {
  try {
    return ctx.route(method, params);
  } catch {
    return {};
  }
}

/** What a request names and passes, without the protocol's own bookkeeping. */
function argumentsOf(method: string, params: Record<string, unknown> | undefined): unknown {
  if (!params) return undefined;
  if (method === 'tools/call' || method === 'prompts/get') return params.arguments;
  if (method === 'initialize') return { protocolVersion: params.protocolVersion, capabilities: params.capabilities };
  const { _meta: _ignored, ...rest } = params;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

function noteClientInfo(client: AuditClient, info: unknown): void {
  const { name, version } = (info ?? {}) as { name?: unknown; version?: unknown };
  if (typeof name === 'string') client.name = name;
  if (typeof version === 'string') client.version = version;
}

function sizeOf(message: JSONRPCMessage): number {
  return Buffer.byteLength(JSON.stringify(message));
}

/** The backend and backend-side target a request names, as `view` routes it. */
export function viewRoute(view: RouteView): TapContext['route'] {
  return (method, params) => {
    if (!params) return {};
    if (method === 'tools/call' && typeof params.name === 'string') {
      const target = view.resolveTool(params.name);
      return target ? { server: target.server, target: target.name } : { target: params.name };
    }
    if (method === 'prompts/get' && typeof params.name === 'string') {
      const target = view.resolvePrompt(params.name);
      return target ? { server: target.server, target: target.name } : { target: params.name };
    }
    if (typeof params.uri === 'string') return { server: backendForUri(view, params.uri).name, target: params.uri };
    return {};
  };
}

/** The backend name and backend-side target a request names, for taps on one server. */
export function singleServerRoute(server: string): TapContext['route'] {
  return (method, params) => ({ server, ...targetOf(method, params, (name) => name) });
}

/** The target named by a request's params (tool, prompt or URI), mapped with `resolve`. */
export function targetOf(
  method: string,
  params: Record<string, unknown> | undefined,
  resolve: (name: string) => string | undefined,
): { target?: string } {
  if (!params) return {};
  if (method === 'tools/call' || method === 'prompts/get') {
    const name = typeof params.name === 'string' ? params.name : undefined;
    const target = name === undefined ? undefined : resolve(name);
    return target ? { target } : {};
  }
  if (typeof params.uri === 'string') return { target: params.uri };
  return {};
}
