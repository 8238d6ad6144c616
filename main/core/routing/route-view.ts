import { ProtocolError, ProtocolErrorCode, UriTemplate } from '@modelcontextprotocol/client';
import type { ClientCapabilities, Prompt, ServerCapabilities, Tool } from '@modelcontextprotocol/client';
import type { Backend } from '../backends/backend.js';
import type { Catalog } from '../backends/catalog.js';
import type { NameTable } from './tool-names.js';

/**
 * What one front endpoint shows of the backends: the aggregate shows every running backend
 * with `<server>__<name>` names; a per-server endpoint bridged at the MCP level shows one
 * backend under its own names. Front handlers of both protocol eras read through a view.
 */
export interface RouteView {
  /** Running backends this view shows, in registry order. */
  backends(): Backend[];
  /** The name a client sees for a backend's tool. */
  exposedTool(server: string, tool: string): string;
  exposedPrompt(server: string, prompt: string): string;
  /** Which backend and backend-side name a client's tool name means. */
  resolveTool(exposed: string): { server: string; name: string } | undefined;
  resolvePrompt(exposed: string): { server: string; name: string } | undefined;
  isToolAllowed(server: string, tool: string): boolean;
  /**
   * The client token whose own tool filter refuses a tool the server's filter allows (for the
   * refusal's wording); `undefined` when the server's filter is the one that refuses.
   */
  refusingToken?(server: string, tool: string): string | undefined;
}

export interface AggregateViewDeps {
  runningBackends(): Backend[];
  toolNames: NameTable;
  promptNames: NameTable;
  isToolAllowed(server: string, tool: string): boolean;
}

export function aggregateView(deps: AggregateViewDeps): RouteView {
  return {
    backends: () => deps.runningBackends(),
    exposedTool: (server, tool) => deps.toolNames.exposedName(server, tool) ?? tool,
    exposedPrompt: (server, prompt) => deps.promptNames.exposedName(server, prompt) ?? prompt,
    resolveTool: (exposed) => deps.toolNames.resolve(exposed),
    resolvePrompt: (exposed) => deps.promptNames.resolve(exposed),
    isToolAllowed: (server, tool) => deps.isToolAllowed(server, tool),
  };
}

/** One backend under its own names (per-server endpoints bridged across eras or transports). */
export function singleServerView(backend: Backend, isToolAllowed: (tool: string) => boolean): RouteView {
  const own = (name: string) => ({ server: backend.name, name });
  return {
    backends: () => (backend.isRoutable ? [backend] : []),
    exposedTool: (_server, tool) => tool,
    exposedPrompt: (_server, prompt) => prompt,
    resolveTool: own,
    resolvePrompt: own,
    isToolAllowed: (_server, tool) => isToolAllowed(tool),
  };
}

/**
 * Each backend's catalog as a client with `capabilities` is served it (see
 * `Backend.catalogFor`), trimmed to what the backend's own catalog lists: the exposed names are
 * made from that one.
 */
export async function catalogsFor(view: RouteView, capabilities: ClientCapabilities): Promise<Array<{ backend: Backend; catalog: Catalog }>> {
  const found = await Promise.all(
    view.backends().map(async (backend) => {
      const own = backend.catalog;
      const served = await backend.catalogFor(capabilities);
      if (!own || !served) return undefined;
      if (served === own) return { backend, catalog: own };
      const tools = new Set(own.tools.map((t) => t.name));
      const prompts = new Set(own.prompts.map((p) => p.name));
      return {
        backend,
        catalog: { ...served, tools: served.tools.filter((t) => tools.has(t.name)), prompts: served.prompts.filter((p) => prompts.has(p.name)) },
      };
    }),
  );
  return found.filter((entry) => entry !== undefined);
}

export async function listTools(view: RouteView, capabilities: ClientCapabilities): Promise<Tool[]> {
  return (await catalogsFor(view, capabilities)).flatMap(({ backend, catalog }) =>
    catalog.tools
      .filter((tool) => view.isToolAllowed(backend.name, tool.name))
      .map((tool) => ({ ...tool, name: view.exposedTool(backend.name, tool.name) })),
  );
}

export async function listPrompts(view: RouteView, capabilities: ClientCapabilities): Promise<Prompt[]> {
  return (await catalogsFor(view, capabilities)).flatMap(({ backend, catalog }) =>
    catalog.prompts.map((prompt) => ({ ...prompt, name: view.exposedPrompt(backend.name, prompt.name) })),
  );
}

/**
 * Whether `name` is exactly a tool of `backend`'s current catalog. Calls to any other name are
 * refused on every way through the gateway, never forwarded.
 */
export function catalogHasTool(backend: Backend, name: string): boolean {
  return backend.catalog?.tools.some((tool) => tool.name === name) ?? false;
}

export function findBackend(view: RouteView, name: string): Backend | undefined {
  return view.backends().find((b) => b.name === name);
}

/** Resources keep their URIs: route by the listed URIs, then by templates. */
export function backendForUri(view: RouteView, uri: string): Backend {
  const running = view.backends();
  const listed = running.find((b) => b.catalog?.resources.some((r) => r.uri === uri));
  if (listed) return listed;
  const templated = running.find((b) => b.catalog?.resourceTemplates.some((t) => matchesTemplate(t.uriTemplate, uri)));
  if (templated) return templated;
  const withResources = running.filter((b) => b.catalog?.capabilities.resources);
  if (withResources.length === 1) return withResources[0]!;
  throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Resource ${uri} not found on any server`);
}

function matchesTemplate(template: string, uri: string): boolean {
  try {
    return new UriTemplate(template).match(uri) !== null;
  } catch {
    return false;
  }
}

/**
 * What the view's live backends support together, for a `server/discover` answer. List
 * changes are advertised because the gateway relays them (catalog refreshes and filter
 * changes both end in a list-changed); subscriptions only where some backend has them.
 */
export function unionCapabilities(view: RouteView): ServerCapabilities {
  const caps: ServerCapabilities = {};
  for (const backend of view.backends()) {
    const own = backend.catalog?.capabilities;
    if (!own) continue;
    if (own.tools) caps.tools = { listChanged: true };
    if (own.prompts) caps.prompts = { listChanged: true };
    if (own.resources) caps.resources = { listChanged: true, subscribe: Boolean(caps.resources?.subscribe || own.resources.subscribe) };
    if (own.logging) caps.logging = {};
    if (own.completions) caps.completions = {};
  }
  return caps;
}

/** Who is calling: a client token (or the open gateway), with what it may use. */
export interface Principal {
  /** Stable id: the token's id, `env` for GATEHOUSE_TOKEN, `anonymous` without tokens. */
  id: string;
  /** Shown in logs and the audit. */
  name: string;
  canUseServer(server: string): boolean;
  /** The token's own tool filter, on top of the server's. */
  isToolAllowed(server: string, tool: string): boolean;
}

/** The gateway without client tokens: everyone may use everything. */
export const ANONYMOUS: Principal = {
  id: 'anonymous',
  name: 'anonymous',
  canUseServer: () => true,
  isToolAllowed: () => true,
};

/** `view` as `principal` may see it: servers outside its ACL are simply absent. */
export function restrictView(view: RouteView, principal: Principal): RouteView {
  if (principal === ANONYMOUS) return view;
  return {
    ...view,
    backends: () => view.backends().filter((b) => principal.canUseServer(b.name)),
    resolveTool: (exposed) => {
      const target = view.resolveTool(exposed);
      return target && principal.canUseServer(target.server) ? target : undefined;
    },
    resolvePrompt: (exposed) => {
      const target = view.resolvePrompt(exposed);
      return target && principal.canUseServer(target.server) ? target : undefined;
    },
    isToolAllowed: (server, tool) => view.isToolAllowed(server, tool) && principal.isToolAllowed(server, tool),
    refusingToken: (server, tool) => refusingToken(view.isToolAllowed(server, tool), principal, server, tool),
  };
}

/**
 * The name of `principal`'s token when its own tool filter is what refuses `tool`, that is when
 * the server's filter allows it (`serverAllows`); `undefined` otherwise.
 */
export function refusingToken(serverAllows: boolean, principal: Principal, server: string, tool: string): string | undefined {
  return serverAllows && !principal.isToolAllowed(server, tool) ? principal.name : undefined;
}
