import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';

/** One complete event block of a `text/event-stream`, parsed as the HTML spec describes. */
export interface SseEvent {
  /** The `event` field, `undefined` when absent (the event type is then `message`). */
  event: string | undefined;
  /** The `data` lines joined with `\n`. */
  data: string;
  /** The `id` field, when the block has one. */
  id: string | undefined;
  /** The `retry` field, verbatim, when the block has one. */
  retry: string | undefined;
  /** The block exactly as received, its terminating blank line included. */
  raw: string;
}

/** What the parser hands out: complete event blocks, and everything else verbatim. */
export type SseSegment = { kind: 'event'; event: SseEvent } | { kind: 'raw'; text: string };

/**
 * Incremental `text/event-stream` parser. Feed it bytes as they arrive; it returns segments as
 * soon as they are complete. Comment lines (keepalives) outside an event come out at once as
 * `raw`, so they can be forwarded without waiting for the blank line. Concatenating every
 * segment's text gives back the input (for valid UTF-8, byte for byte; a BOM is kept).
 */
export class SseParser {
  readonly #decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  #buffer = '';
  #atStart = true;
  #raw = '';
  #hasFields = false;
  #event: string | undefined;
  #data: string[] = [];
  #id: string | undefined;
  #retry: string | undefined;

  /** Parses the next chunk. */
  push(chunk: Uint8Array): SseSegment[] {
    this.#buffer += this.#decoder.decode(chunk, { stream: true });
    return this.#drain(false);
  }

  /** Flushes at end of stream: an unterminated block is returned verbatim, as `raw`. */
  end(): SseSegment[] {
    this.#buffer += this.#decoder.decode();
    const segments = this.#drain(true);
    const rest = this.#raw + this.#buffer;
    this.#buffer = '';
    this.#reset();
    if (rest.length > 0) segments.push({ kind: 'raw', text: rest });
    return segments;
  }

  #drain(atEnd: boolean): SseSegment[] {
    const segments: SseSegment[] = [];
    let start = 0;
    for (;;) {
      const cr = this.#buffer.indexOf('\r', start);
      const lf = this.#buffer.indexOf('\n', start);
      if (cr === -1 && lf === -1) break;
      const at = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      let next = at + 1;
      if (at === cr) {
        // A lone CR at the end of the buffer may be the first half of CRLF: wait for more.
        if (at + 1 >= this.#buffer.length && !atEnd) break;
        if (this.#buffer[at + 1] === '\n') next = at + 2;
      }
      let line = this.#buffer.slice(start, at);
      // The decoder keeps a leading BOM (so it is forwarded); the spec parses without it.
      if (this.#atStart && line.startsWith('\uFEFF')) line = line.slice(1);
      this.#atStart = false;
      const rawLine = this.#buffer.slice(start, next);
      start = next;
      const segment = this.#line(line, rawLine);
      if (segment) segments.push(segment);
    }
    this.#buffer = this.#buffer.slice(start);
    return segments;
  }

  #line(line: string, rawLine: string): SseSegment | undefined {
    if (line.length === 0) {
      if (!this.#hasFields) {
        const text = this.#raw + rawLine;
        this.#reset();
        return { kind: 'raw', text };
      }
      const event: SseEvent = {
        event: this.#event,
        data: this.#data.join('\n'),
        id: this.#id,
        retry: this.#retry,
        raw: this.#raw + rawLine,
      };
      this.#reset();
      return { kind: 'event', event };
    }
    if (line.startsWith(':') && !this.#hasFields) return { kind: 'raw', text: rawLine };
    this.#raw += rawLine;
    if (line.startsWith(':')) return undefined;
    this.#hasFields = true;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
    else if (field === 'retry') this.#retry = value;
    return undefined;
  }

  #reset(): void {
    this.#raw = '';
    this.#hasFields = false;
    this.#event = undefined;
    this.#data = [];
    this.#id = undefined;
    this.#retry = undefined;
  }
}

/** Serializes one event block (fields in the order event, id, retry, data; blank line last). */
export function serializeSseEvent(event: Pick<SseEvent, 'data'> & Partial<Pick<SseEvent, 'event' | 'id' | 'retry'>>): string {
  let text = '';
  if (event.event !== undefined) text += `event: ${event.event}\n`;
  if (event.id !== undefined) text += `id: ${event.id}\n`;
  if (event.retry !== undefined) text += `retry: ${event.retry}\n`;
  for (const line of event.data.split(/\r\n|\r|\n/)) text += `data: ${line}\n`;
  return text + '\n';
}

/**
 * Returns the replacement text for an event (a whole serialized block), or `undefined` to pass
 * it on unchanged. May throw to end the stream with an error.
 */
export type SseEventRewriter = (event: SseEvent) => string | undefined;

/**
 * A `Transform` that passes an SSE byte stream through, one complete segment at a time, and lets
 * `rewrite` replace individual events. Because it only ever emits whole segments, {@link inject}
 * can add an event of the gateway's own between two upstream events.
 */
export class SseRewriteStream extends Transform {
  readonly #parser = new SseParser();
  readonly #rewrite: SseEventRewriter;

  constructor(rewrite: SseEventRewriter) {
    super();
    this.#rewrite = rewrite;
  }

  /** Emits a block of the gateway's own (already serialized) into the outgoing stream. */
  inject(block: string): boolean {
    if (this.destroyed || this.writableEnded) return false;
    this.push(Buffer.from(block, 'utf8'));
    return true;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#emit(() => this.#parser.push(chunk), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.#emit(() => this.#parser.end(), callback);
  }

  #emit(parse: () => SseSegment[], callback: TransformCallback): void {
    let out = '';
    try {
      for (const segment of parse()) {
        out += segment.kind === 'raw' ? segment.text : (this.#rewrite(segment.event) ?? segment.event.raw);
      }
    } catch (error) {
      callback(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (out.length > 0) this.push(Buffer.from(out, 'utf8'));
    callback();
  }
}
