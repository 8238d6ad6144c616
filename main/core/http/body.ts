import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_LIMITS } from '../security/limits.js';

/** Outcome of {@link readBody}: the raw bytes, or the HTTP status and message to answer with. */
export type ReadBodyResult =
  | { ok: true; raw: Buffer }
  | { ok: false; status: 413 | 400; message: string };

/**
 * Outcome of {@link parseJsonRpcBody}. `tooDeep` marks JSON nested deeper than the limit: a
 * refusal of the gateway's own (invalid request), where other failures are parse errors.
 */
export type ParseJsonResult = { ok: true; value: unknown } | { ok: false; message: string; tooDeep?: boolean };

/** A JSON-RPC request id as it appears on the wire (`null` when the request's id is unknown). */
export type JsonRpcIdValue = string | number | null;

/**
 * Reads a request body into memory, up to `maxBytes`.
 *
 * A `Content-Length` above the limit is refused before anything is read; a body without one
 * (chunked) is refused as soon as the running total passes the limit. On refusal, the rest of
 * the body is discarded as it arrives so the client can still read the answer (Node does the
 * same for any body a handler leaves unread). A body that ends early (client aborted, socket
 * error) gives 400. The promise never rejects.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<ReadBodyResult> {
  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    const length = Number(declared);
    if (!Number.isSafeInteger(length) || length < 0) {
      req.on('error', ignore).resume();
      return Promise.resolve({ ok: false, status: 400, message: 'invalid Content-Length header' });
    }
    if (length > maxBytes) {
      req.on('error', ignore).resume();
      return Promise.resolve(tooLarge(maxBytes));
    }
  }
  if (req.readableEnded) return Promise.resolve({ ok: true, raw: Buffer.alloc(0) });
  // Already gone (e.g. the client hung up while an earlier await ran): no 'end' will ever come.
  if (req.destroyed) return Promise.resolve({ ok: false, status: 400, message: 'the request body was not fully received' });
  // A client that goes away mid-body makes the request emit 'error'; that is answered as 400
  // below, and must never become an uncaught exception (also after we stopped listening).
  req.on('error', ignore);

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const settle = (result: ReadBodyResult): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onIncomplete);
      req.off('close', onIncomplete);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > maxBytes) {
        chunks.length = 0;
        settle(tooLarge(maxBytes));
        // Keep the socket flowing (discarding) so the 413 can be written and read.
        req.resume();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle({ ok: true, raw: Buffer.concat(chunks, total) });
    const onIncomplete = (): void => {
      if (!req.readableEnded) {
        settle({ ok: false, status: 400, message: 'the request body was not fully received' });
      }
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onIncomplete);
    req.on('close', onIncomplete);
  });
}

/**
 * Parses a request body as JSON (a JSON-RPC message or a batch). Only syntax and nesting depth
 * are checked here; the caller decides what shape it accepts. An empty body is an error, and so
 * is JSON nested deeper than `maxDepth` objects and arrays: it would overflow the stack of what
 * walks it next (JSON.stringify fails at about 4,000 levels).
 */
export function parseJsonRpcBody(raw: Buffer, maxDepth: number = DEFAULT_LIMITS.maxJsonDepth): ParseJsonResult {
  if (exceedsJsonDepth(raw, maxDepth)) {
    return { ok: false, tooDeep: true, message: `Invalid Request: the JSON is nested deeper than ${maxDepth} levels (the gateway's maxJsonDepth limit)` };
  }
  const text = raw.toString('utf8');
  if (text.trim().length === 0) return { ok: false, message: 'Parse error: empty request body' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `Parse error: ${reason}` };
  }
}

/**
 * Writes one JSON-RPC error response (`{ jsonrpc, error: { code, message }, id }`) with
 * `Content-Type: application/json` and ends `res`. When headers were already sent (a stream is
 * under way) nothing sensible can be written any more, so the response is destroyed instead;
 * when the client is already gone, nothing happens.
 */
export function sendJsonRpcError(
  res: ServerResponse,
  httpStatus: number,
  code: number,
  message: string,
  id: JsonRpcIdValue = null,
): void {
  if (res.destroyed || res.writableEnded) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id });
  res.writeHead(httpStatus, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * Whether JSON text nests objects and arrays deeper than `maxDepth`, found by one pass over the
 * bytes (brackets inside strings do not count). UTF-8 never puts an ASCII byte inside a
 * multi-byte character, so bytes are enough. Malformed JSON is left to the parser.
 */
export function exceedsJsonDepth(raw: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth--;
  }
  return false;
}

// The bytes of `"`, `\`, `{`, `}`, `[` and `]`.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function tooLarge(maxBytes: number): ReadBodyResult {
  return { ok: false, status: 413, message: `request body exceeds the limit of ${maxBytes} bytes` };
}

function ignore(): void {}

/** A POST body as read: the bytes (forwarded unchanged by pass-throughs) and their JSON value. */
export interface JsonBody {
  raw: Buffer;
  value: unknown;
}

/** How much of a request body {@link readJsonRequest} accepts. */
export interface BodyLimits {
  maxBytes: number;
  /** Default `DEFAULT_LIMITS.maxJsonDepth`. */
  maxDepth?: number;
}

/**
 * Outcome of {@link readJsonRequest}: the body, or the refusal to answer with (HTTP status,
 * JSON-RPC code and message). `tooDeep` marks the depth limit's refusal.
 */
export type JsonRequestResult =
  | { ok: true; body: JsonBody }
  | { ok: false; status: 400 | 413; code: number; message: string; tooDeep?: boolean; id?: JsonRpcIdValue; method?: string };

/**
 * Bodies already read, per request. The gateway reads a POST body before any endpoint sees it
 * (to check it and count its cost against the rate limit); every later reader of the same
 * request, with whatever limits it was built with, gets that first read's result.
 */
const bodiesRead = new WeakMap<IncomingMessage, Promise<JsonRequestResult>>();

/**
 * Reads and parses a JSON-RPC request body once per request (see {@link bodiesRead}): 413 for
 * an oversized body, 400 invalid request (-32600) for one nested too deep, 400 parse error
 * (-32700) otherwise. Nothing is answered here; {@link readJsonBody} does that.
 */
export function readJsonRequest(req: IncomingMessage, limits: Readonly<BodyLimits>): Promise<JsonRequestResult> {
  let pending = bodiesRead.get(req);
  if (!pending) {
    pending = readAndParse(req, limits);
    bodiesRead.set(req, pending);
  }
  return pending;
}

async function readAndParse(req: IncomingMessage, limits: Readonly<BodyLimits>): Promise<JsonRequestResult> {
  const body = await readBody(req, limits.maxBytes);
  if (!body.ok) return { ok: false, status: body.status, code: body.status === 413 ? -32600 : -32700, message: body.message };
  const parsed = parseJsonRpcBody(body.raw, limits.maxDepth);
  if (!parsed.ok && parsed.tooDeep) return { ok: false, status: 400, code: -32600, message: parsed.message, tooDeep: true, ...envelopeOf(body.raw) };
  if (!parsed.ok) return { ok: false, status: 400, code: -32700, message: parsed.message };
  return { ok: true, body: { raw: body.raw, value: parsed.value } };
}

/**
 * The id and method of a single message too deep to accept, so the refusal can answer that id
 * and the audit name the method. V8's JSON.parse does not recurse on the stack (it reads
 * millions of levels), and only the top level is looked at.
 */
function envelopeOf(raw: Buffer): { id?: JsonRpcIdValue; method?: string } {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    return {};
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const { id, method } = value as { id?: unknown; method?: unknown };
  return {
    ...(typeof id === 'string' || typeof id === 'number' ? { id } : {}),
    ...(typeof method === 'string' ? { method } : {}),
  };
}

/**
 * Reads and parses a JSON-RPC request body ({@link readJsonRequest}), or answers the refusal
 * itself as a JSON-RPC error and resolves undefined.
 */
export async function readJsonBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<JsonBody | undefined> {
  const read = await readJsonRequest(req, { maxBytes });
  if (!read.ok) {
    sendJsonRpcError(res, read.status, read.code, read.message, read.id);
    return undefined;
  }
  return read.body;
}
