import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';

const KEEPALIVE_MS = 25_000;

/**
 * Server side of the legacy HTTP+SSE transport (protocol 2024-11-05), which SDK v2 no longer
 * ships: `GET` opens an event stream whose first event, `endpoint`, names the URL the client
 * POSTs its messages to; everything the server says goes down the stream as `message` events.
 */
export class SseServerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  readonly sessionId = randomUUID();
  #keepalive?: NodeJS.Timeout;
  #closed = false;

  /** `endpointPath` is where the client POSTs, e.g. `/messages`; `?sessionId=` is appended. */
  constructor(
    private readonly endpointPath: string,
    private readonly res: ServerResponse,
  ) {
    res.on('close', () => this.#finish());
  }

  async start(): Promise<void> {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
    });
    this.res.write(`event: endpoint\ndata: ${this.endpointPath}?sessionId=${this.sessionId}\n\n`);
    // Proxies and clients drop silent streams; a comment line keeps it open.
    this.#keepalive = setInterval(() => this.res.write(': keepalive\n\n'), KEEPALIVE_MS);
    this.#keepalive.unref();
  }

  /** Hands a POSTed body (one message or a batch) to the server. */
  receive(body: unknown): void {
    const messages = Array.isArray(body) ? body : [body];
    for (const message of messages) this.onmessage?.(message as JSONRPCMessage);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) throw new Error('SSE stream is closed');
    this.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  async close(): Promise<void> {
    this.res.end();
    this.#finish();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepalive);
    this.onclose?.();
  }
}
