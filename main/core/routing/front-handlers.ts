import { ProtocolError, ProtocolErrorCode, SdkError, SdkErrorCode } from '@modelcontextprotocol/client';
import type { ClientCapabilities, Server, ServerContext } from '@modelcontextprotocol/server';
import type { AuditOutcome } from '../audit/audit-event.js';
import type { Backend } from '../backends/backend.js';
import { timeoutError } from './request-timeout.js';
import { filteredToolResult } from './tool-filter.js';
import { backendForUri, catalogHasTool, catalogsFor, findBackend, listPrompts, listTools, type RouteView } from './route-view.js';

/** How a front server reaches a backend: per session (2025 era) or per request (2026-07-28). */
export interface FrontRouter {
  forward(backend: Backend, ctx: ServerContext, method: string, params: Record<string, unknown>): Promise<never>;
  /** What the client of `ctx` can answer, as its upstream sessions advertise it: what it is listed depends on it. */
  capabilities(ctx: ServerContext): ClientCapabilities;
}

/**
 * The request handlers every front server has, whatever its era: lists come from the backends'
 * catalogs, calls are routed by name (tools, prompts) or URI (resources) and forwarded.
 */
export function registerFrontHandlers(server: Server, view: RouteView, router: FrontRouter): void {
  // The SDK refuses handlers for capabilities the server did not declare.
  const caps = server.getCapabilities();
  if (caps.tools) registerToolHandlers(server, view, router);
  if (caps.prompts) registerPromptHandlers(server, view, router);
  if (caps.resources) registerResourceHandlers(server, view, router);
  if (caps.completions) registerCompletionHandler(server, view, router);
}

function registerToolHandlers(server: Server, view: RouteView, router: FrontRouter): void {
  server.setRequestHandler('tools/list', async (_request, ctx) => ({ tools: await listTools(view, router.capabilities(ctx)) }));
  server.setRequestHandler('tools/call', async (request, ctx) => {
    const exposed = request.params.name;
    const target = view.resolveTool(exposed);
    const backend = target && findBackend(view, target.server);
    // Not what this client was listed (the backend would not serve it); a client that calls
    // without listing first is not kept waiting for a listing: the backend decides.
    const served = backend && (await backend.catalogFor(router.capabilities(ctx), { read: false }));
    if (!target || !backend || !catalogHasTool(backend, target.name) || !served?.tools.some((t) => t.name === target.name)) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Tool ${exposed} not found`);
    }
    if (!view.isToolAllowed(target.server, target.name)) {
      return filteredToolResult(target.name, target.server, view.refusingToken?.(target.server, target.name));
    }
    return router.forward(backend, ctx, 'tools/call', { ...request.params, name: target.name });
  });
}

function registerPromptHandlers(server: Server, view: RouteView, router: FrontRouter): void {
  server.setRequestHandler('prompts/list', async (_request, ctx) => ({ prompts: await listPrompts(view, router.capabilities(ctx)) }));
  server.setRequestHandler('prompts/get', async (request, ctx) => {
    const target = view.resolvePrompt(request.params.name);
    const backend = target && findBackend(view, target.server);
    if (!target || !backend) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${request.params.name} not found`);
    return router.forward(backend, ctx, 'prompts/get', { ...request.params, name: target.name });
  });
}

function registerResourceHandlers(server: Server, view: RouteView, router: FrontRouter): void {
  server.setRequestHandler('resources/list', async (_request, ctx) => ({
    resources: (await catalogsFor(view, router.capabilities(ctx))).flatMap(({ catalog }) => catalog.resources),
  }));
  server.setRequestHandler('resources/templates/list', async (_request, ctx) => ({
    resourceTemplates: (await catalogsFor(view, router.capabilities(ctx))).flatMap(({ catalog }) => catalog.resourceTemplates),
  }));
  server.setRequestHandler('resources/read', async (request, ctx) =>
    router.forward(backendForUri(view, request.params.uri), ctx, 'resources/read', request.params),
  );
}

function registerCompletionHandler(server: Server, view: RouteView, router: FrontRouter): void {
  server.setRequestHandler('completion/complete', async (request, ctx) => {
    const ref = request.params.ref;
    if (ref.type === 'ref/prompt') {
      const target = view.resolvePrompt(ref.name);
      const backend = target && findBackend(view, target.server);
      if (!target || !backend) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${ref.name} not found`);
      return router.forward(backend, ctx, 'completion/complete', { ...request.params, ref: { ...ref, name: target.name } });
    }
    const backend = view.backends().find((b) => b.catalog?.resourceTemplates.some((t) => t.uriTemplate === ref.uri));
    if (!backend) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Resource template ${ref.uri} not found`);
    return router.forward(backend, ctx, 'completion/complete', request.params);
  });
}

/** Splits a front request's `_meta` into its progress token and the rest, which goes upstream. */
export function splitProgressToken(params: Record<string, unknown>): {
  progressToken: string | number | undefined;
  params: Record<string, unknown>;
} {
  const { _meta, ...rest } = params as { _meta?: Record<string, unknown> };
  const progressToken = _meta?.progressToken as string | number | undefined;
  const meta = _meta ? Object.fromEntries(Object.entries(_meta).filter(([k]) => k !== 'progressToken')) : undefined;
  return { progressToken, params: { ...rest, ...(meta && Object.keys(meta).length > 0 ? { _meta: meta } : {}) } };
}

/** What {@link toProtocolError} may say about the failed request. */
export interface FailureContext {
  /** The method the gateway asked the backend, for the timeout error. */
  method?: string;
  /** Why a request in flight was lost when the connection closed (the backend exited, ...). */
  lost?: () => string;
}

/** Keeps a backend's JSON-RPC error as it is; anything else becomes an internal error naming the server. */
export function toProtocolError(server: string, error: unknown, context: FailureContext = {}): ProtocolError {
  if (error instanceof ProtocolError) return error;
  // The same timeout error on every way through the gateway (see request-timeout.ts).
  if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) {
    const ms = (error.data as { timeout?: unknown } | undefined)?.timeout;
    if (typeof ms === 'number') {
      const timeout = timeoutError(server, context.method, ms);
      return new ProtocolError(timeout.code, timeout.message, timeout.data);
    }
  }
  // `data.outcome` tells the client (and the audit) a network problem from the backend's own error.
  const data = failureOf(error);
  // The backend went away mid-request: say which server and what happened to it.
  if (context.lost && error instanceof SdkError && error.code === SdkErrorCode.ConnectionClosed) {
    return new ProtocolError(ProtocolErrorCode.InternalError, context.lost(), data);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ProtocolError(ProtocolErrorCode.InternalError, `server "${server}": ${message}`, data);
}

/** How an upstream request failed, as an audit outcome (and the backend's HTTP status, if any). */
function failureOf(error: unknown): { outcome: AuditOutcome; httpStatus?: number } {
  if (error instanceof SdkError) {
    if (error.code === SdkErrorCode.RequestTimeout) return { outcome: 'timeout' };
    const status = (error.data as { status?: unknown } | undefined)?.status;
    if (typeof status === 'number') return { outcome: 'backend_http_error', httpStatus: status };
    return { outcome: 'backend_unreachable' };
  }
  const status = (error as { status?: unknown; code?: unknown } | undefined)?.code;
  if (typeof status === 'number' && status >= 400 && status < 600) return { outcome: 'backend_http_error', httpStatus: status };
  return { outcome: 'backend_unreachable' };
}
