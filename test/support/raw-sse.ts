import { expect } from 'vitest';

/** One event of an SSE stream. */
export interface RawSseEvent {
  event: string;
  data: string;
}

/** A legacy SSE stream read by hand, to see exactly what a client is sent. */
export interface RawSse {
  /** The HTTP status of the GET. */
  status: number;
  /** Every event so far, in order. */
  events: RawSseEvent[];
  /** Whether the stream has ended (the server closed it). */
  ended(): boolean;
  /** The `endpoint` event's data, once it came. */
  endpoint(): Promise<string>;
  /** The JSON-RPC messages of the `message` events so far. */
  messages(): Array<Record<string, unknown>>;
  close(): void;
}

/** Opens `url` as an event stream with `headers`, and reads it in the background. */
export async function openRawSse(url: string, headers: Record<string, string>): Promise<RawSse> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: RawSseEvent[] = [];
  let done = res.body === null;
  if (res.body) {
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    const pump = async (): Promise<void> => {
      for (;;) {
        const { done: finished, value } = await reader.read();
        if (finished) return;
        buffer += value;
        for (let at = buffer.search(/\r?\n\r?\n/); at !== -1; at = buffer.search(/\r?\n\r?\n/)) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at).replace(/^\r?\n\r?\n/, '');
          const lines = block.split(/\r?\n/).filter((line) => !line.startsWith(':'));
          if (lines.length === 0) continue;
          const field = (name: string): string[] => lines.filter((l) => l.startsWith(`${name}:`)).map((l) => l.slice(name.length + 1).replace(/^ /, ''));
          events.push({ event: field('event')[0] ?? 'message', data: field('data').join('\n') });
        }
      }
    };
    // An aborted or dropped stream just ends the reading.
    void pump().then(
      () => (done = true),
      () => (done = true),
    );
  }
  return {
    status: res.status,
    events,
    ended: () => done,
    async endpoint() {
      await expect.poll(() => events.some((e) => e.event === 'endpoint'), { timeout: 5_000 }).toBe(true);
      return events.find((e) => e.event === 'endpoint')!.data;
    },
    messages: () => events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data) as Record<string, unknown>),
    close: () => abort.abort(),
  };
}
