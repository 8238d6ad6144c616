import type { IncomingMessage, ServerResponse } from 'node:http';

/** Outcome of {@link readBody}: the raw bytes, or the HTTP status and message to answer with. */
export type ReadBodyResult =
  | { ok: true; raw: Buffer }
  | { ok: false; status: 413 | 400; message: string };

/** Outcome of {@link parseJsonRpcBody}. */
export type ParseJsonResult = { ok: true; value: unknown } | { ok: false; message: string };

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
 * Parses a request body as JSON (a JSON-RPC message or a batch). Only syntax is checked here;
 * the caller decides what shape it accepts. An empty body is an error.
 */
export function parseJsonRpcBody(raw: Buffer): ParseJsonResult {
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

function tooLarge(maxBytes: number): ReadBodyResult {
  return { ok: false, status: 413, message: `request body exceeds the limit of ${maxBytes} bytes` };
}

function ignore(): void {}

/** A POST body as read: the bytes (forwarded unchanged by pass-throughs) and their JSON value. */
export interface JsonBody {
  raw: Buffer;
  value: unknown;
}

/**
 * Reads and parses a JSON-RPC request body, or answers the error itself (413 for an
 * oversized body, 400 with a parse error otherwise) and resolves undefined.
 */
export async function readJsonBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<JsonBody | undefined> {
  const body = await readBody(req, maxBytes);
  if (!body.ok) {
    sendJsonRpcError(res, body.status, body.status === 413 ? -32600 : -32700, body.message);
    return undefined;
  }
  const parsed = parseJsonRpcBody(body.raw);
  if (!parsed.ok) {
    sendJsonRpcError(res, 400, -32700, parsed.message);
    return undefined;
  }
  return { raw: body.raw, value: parsed.value };
}

/** Whether a JSON-RPC body (one message or a batch) holds an `initialize` request: it opens a session. */
export function containsInitialize(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((m) => typeof m === 'object' && m !== null && (m as { method?: unknown }).method === 'initialize');
}
