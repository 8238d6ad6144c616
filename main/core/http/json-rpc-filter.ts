/**
 * The tool filter as a pass-through applies it: the only payload rewrites the per-server
 * endpoints make. Requests are inspected (never changed); a `tools/call` of a filtered tool, or
 * of a name the backend's catalog does not have, is answered here, and a response to a tracked
 * `tools/list` request has its `result.tools` trimmed. Everything else is left alone.
 */
import { filteredToolResult, filteredToolText, unknownToolError } from '../routing/tool-filter.js';

/** A JSON-RPC request id. */
export type JsonRpcId = string | number;

/** Answers whether a backend tool (by its own, un-namespaced name) may be used. */
export type ToolPredicate = (toolName: string) => boolean;

/** JSON-RPC "Invalid Request": the answer to the other requests of a batch refused whole. */
export const INVALID_REQUEST = -32600;

/**
 * A set of JSON-RPC ids that keeps `1` and `"1"` apart (they are different ids on the wire).
 * Bounded: past `limit` entries the oldest is forgotten, so requests whose response never came
 * (a dropped connection) cannot grow it without end.
 */
export class RequestIdSet {
  readonly #keys = new Set<string>();
  readonly #limit: number;

  constructor(limit = 1024) {
    this.#limit = limit;
  }

  get size(): number {
    return this.#keys.size;
  }

  add(id: JsonRpcId): void {
    this.#keys.add(idKey(id));
    if (this.#keys.size > this.#limit) {
      const oldest = this.#keys.values().next();
      if (!oldest.done) this.#keys.delete(oldest.value);
    }
  }

  /** Removes `id`; true when it was present. */
  delete(id: JsonRpcId): boolean {
    return this.#keys.delete(idKey(id));
  }
}

/** What {@link inspectClientPayload} found in a client's POST body. */
export interface ClientPayloadInspection {
  /** Names of `tools/call` requests the filter refuses, in order of appearance. */
  blockedTools: string[];
  /** Names of `tools/call` requests that are not exactly a tool of the backend's catalog. */
  unknownTools: string[];
  /** Ids of the `tools/list` requests, whose responses must be trimmed. */
  toolsListIds: JsonRpcId[];
}

/**
 * Inspects a parsed POST body (one message or a batch) without changing it. `hasTool` says
 * whether a name is exactly a tool of the backend's catalog (a call to any other name is
 * refused, never forwarded); `isToolAllowed` applies the filter to the names that are.
 */
export function inspectClientPayload(payload: unknown, isToolAllowed: ToolPredicate, hasTool: ToolPredicate = () => true): ClientPayloadInspection {
  const result: ClientPayloadInspection = { blockedTools: [], unknownTools: [], toolsListIds: [] };
  for (const message of asMessages(payload)) {
    if (!isRecord(message)) continue;
    if (message.method === 'tools/call') {
      const name = isRecord(message.params) ? message.params.name : undefined;
      if (typeof name === 'string' && !hasTool(name)) result.unknownTools.push(name);
      else if (typeof name === 'string' && !isToolAllowed(name)) result.blockedTools.push(name);
    } else if (message.method === 'tools/list' && isJsonRpcId(message.id)) {
      result.toolsListIds.push(message.id);
    }
  }
  return result;
}

/**
 * The responses for a payload that calls filtered tools (`blockedTools`) or names the backend's
 * catalog does not have (`unknownTools`): each filtered call gets an MCP tool error result, each
 * unknown one an "Invalid params" error, and every other request in a batch (refused whole) an
 * "Invalid Request" error, each with its own id; notifications get nothing.
 * Returns one response for a single message, an array for a batch, or `undefined` when the
 * payload holds no request that expects an answer.
 */
export function buildFilterRefusal(
  payload: unknown,
  blockedTools: readonly string[],
  serverName: string,
  refusingToken: (tool: string) => string | undefined = () => undefined,
  unknownTools: readonly string[] = [],
  /** Why names are unknown when the backend's catalog itself is (it has not listed its tools). */
  unknownBecause?: string,
): unknown {
  const isBatch = Array.isArray(payload);
  const responses: unknown[] = [];
  for (const message of asMessages(payload)) {
    if (!isRecord(message) || typeof message.method !== 'string' || !isJsonRpcId(message.id)) continue;
    const name = message.method === 'tools/call' && isRecord(message.params) ? message.params.name : undefined;
    if (typeof name === 'string' && unknownTools.includes(name)) {
      responses.push({ jsonrpc: '2.0', id: message.id, error: unknownToolError(name, unknownBecause) });
      continue;
    }
    if (typeof name === 'string' && blockedTools.includes(name)) {
      responses.push({ jsonrpc: '2.0', id: message.id, result: filteredToolResult(name, serverName, refusingToken(name)) });
      continue;
    }
    const reasons = [
      ...blockedTools.map((tool) => filteredToolText(tool, serverName, refusingToken(tool))),
      ...unknownTools.map((tool) => `${JSON.stringify(tool)} is not a tool of server "${serverName}"`),
    ];
    responses.push({ jsonrpc: '2.0', id: message.id, error: { code: INVALID_REQUEST, message: `Batch refused: ${reasons.join('; ')}` } });
  }
  if (responses.length === 0) return undefined;
  return isBatch ? responses : responses[0];
}

/**
 * Trims `result.tools` in the responses (one or a batch) whose id `takeId` claims as a pending
 * `tools/list` request. `takeId` forgets the id as it answers, so each response is matched once.
 * Returns the rewritten JSON text, or `undefined` when nothing changed (the caller then sends
 * the original bytes) or the text is not JSON.
 */
export function rewriteToolsListText(
  text: string,
  takeId: (id: JsonRpcId) => boolean,
  isToolAllowed: ToolPredicate,
): string | undefined {
  let payload: unknown;
  try {
    payload = JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
  let changed = false;
  for (const message of asMessages(payload)) {
    if (!isRecord(message) || !isJsonRpcId(message.id) || 'method' in message) continue;
    if (!takeId(message.id)) continue;
    const result = message.result;
    if (!isRecord(result) || !Array.isArray(result.tools)) continue;
    const kept = result.tools.filter((tool) => isRecord(tool) && typeof tool.name === 'string' && isToolAllowed(tool.name));
    if (kept.length !== result.tools.length) {
      result.tools = kept;
      changed = true;
    }
  }
  return changed ? JSON.stringify(payload) : undefined;
}

/** True for a JSON-RPC id (strings and numbers; `null` is not an id that can be matched). */
export function isJsonRpcId(value: unknown): value is JsonRpcId {
  return typeof value === 'string' || typeof value === 'number';
}

function asMessages(payload: unknown): unknown[] {
  return Array.isArray(payload) ? payload : [payload];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A map key for a JSON-RPC id that keeps `1` and `"1"` apart (they are different ids on the wire). */
export function idKey(id: JsonRpcId): string {
  return typeof id === 'number' ? `n:${id}` : `s:${id}`;
}
