import { describe, expect, it } from 'vitest';
import { serializeSseEvent, SseParser, SseRewriteStream } from '../../../../../main/core/http/sse-stream.js';
import type { SseEvent, SseSegment } from '../../../../../main/core/http/sse-stream.js';

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Feeds `chunks` to a fresh parser, then ends it; returns every segment in order. */
function parse(chunks: readonly Uint8Array[]): SseSegment[] {
  const parser = new SseParser();
  const segments: SseSegment[] = [];
  for (const chunk of chunks) segments.push(...parser.push(chunk));
  segments.push(...parser.end());
  return segments;
}

const textOf = (segments: readonly SseSegment[]): string =>
  segments.map((s) => (s.kind === 'raw' ? s.text : s.event.raw)).join('');

const eventsOf = (segments: readonly SseSegment[]): SseEvent[] =>
  segments.flatMap((s) => (s.kind === 'event' ? [s.event] : []));

/** Every way of cutting `bytes` in two, plus one byte per chunk. */
function chunkings(bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [];
  for (let cut = 0; cut <= bytes.length; cut++) out.push([bytes.subarray(0, cut), bytes.subarray(cut)]);
  out.push([...bytes].map((byte) => Buffer.from([byte])));
  return out;
}

const ev = (fields: Partial<SseEvent> & Pick<SseEvent, 'raw'>): SseEvent => ({
  event: undefined,
  data: '',
  id: undefined,
  retry: undefined,
  ...fields,
});

// A stream exercising most of the format at once: BOM, keepalive, all three line endings,
// every field, multi-line data, a comment inside an event, and 2-, 3- and 4-byte characters.
const MIXED =
  '\uFEFF: keepalive\n' +
  'event: update\r\nid: 42\r\nretry: 3000\r\ndata: caf\u00e9 \u20ac\r\ndata: \u{1F600}\r\n\r\n' +
  'data: first\r: inside\rdata: second\r\r' +
  ':\n' +
  'data:{"jsonrpc":"2.0","id":1}\n\n';

const MIXED_SEGMENTS: SseSegment[] = [
  { kind: 'raw', text: '\uFEFF: keepalive\n' },
  {
    kind: 'event',
    event: ev({
      event: 'update',
      id: '42',
      retry: '3000',
      data: 'caf\u00e9 \u20ac\n\u{1F600}',
      raw: 'event: update\r\nid: 42\r\nretry: 3000\r\ndata: caf\u00e9 \u20ac\r\ndata: \u{1F600}\r\n\r\n',
    }),
  },
  { kind: 'event', event: ev({ data: 'first\nsecond', raw: 'data: first\r: inside\rdata: second\r\r' }) },
  { kind: 'raw', text: ':\n' },
  { kind: 'event', event: ev({ data: '{"jsonrpc":"2.0","id":1}', raw: 'data:{"jsonrpc":"2.0","id":1}\n\n' }) },
];

describe('SseParser', () => {
  it('parses the same segments wherever the chunks are cut, inside characters and CRLF included', () => {
    const bytes = utf8(MIXED);
    for (const chunks of chunkings(bytes)) {
      const segments = parse(chunks);
      expect(segments).toEqual(MIXED_SEGMENTS);
      expect(Buffer.from(textOf(segments), 'utf8').equals(bytes)).toBe(true);
    }
  });

  it('waits for the byte after a CR at the end of a chunk, so CRLF is one line ending', () => {
    const parser = new SseParser();
    expect(parser.push(utf8('data: a\r'))).toEqual([]);
    expect(parser.push(utf8('\n\r'))).toEqual([]);
    expect(parser.push(utf8('\n'))).toEqual([{ kind: 'event', event: ev({ data: 'a', raw: 'data: a\r\n\r\n' }) }]);
    expect(parser.end()).toEqual([]);
  });

  it('treats CR followed by anything but LF as a line ending of its own', () => {
    const parser = new SseParser();
    expect(parser.push(utf8('data: a\r'))).toEqual([]);
    expect(parser.push(utf8('\rdata: b\n\n'))).toEqual([
      { kind: 'event', event: ev({ data: 'a', raw: 'data: a\r\r' }) },
      { kind: 'event', event: ev({ data: 'b', raw: 'data: b\n\n' }) },
    ]);
  });

  it('ends a line on a CR that is the last byte of the stream', () => {
    const parser = new SseParser();
    expect(parser.push(utf8('data: a\r\r'))).toEqual([]);
    expect(parser.end()).toEqual([{ kind: 'event', event: ev({ data: 'a', raw: 'data: a\r\r' }) }]);
  });

  it('puts a character split across chunks back together', () => {
    const bytes = utf8('data: \u{1F600}\n\n');
    const parser = new SseParser();
    expect(parser.push(bytes.subarray(0, 8))).toEqual([]);
    expect(parser.push(bytes.subarray(8))).toEqual([
      { kind: 'event', event: ev({ data: '\u{1F600}', raw: 'data: \u{1F600}\n\n' }) },
    ]);
  });

  it('hands a keepalive comment out at once, before any blank line', () => {
    const parser = new SseParser();
    expect(parser.push(utf8(': ping\n'))).toEqual([{ kind: 'raw', text: ': ping\n' }]);
    expect(parser.push(utf8('\n'))).toEqual([{ kind: 'raw', text: '\n' }]);
    expect(parser.push(utf8('data: x\n: not yet\n'))).toEqual([]);
    expect(parser.push(utf8('\n'))).toEqual([{ kind: 'event', event: ev({ data: 'x', raw: 'data: x\n: not yet\n\n' }) }]);
  });

  it('joins data lines with LF and keeps empty data lines', () => {
    const [only] = eventsOf(parse([utf8('data: a\ndata:\ndata\ndata: b\n\n')]));
    expect(only?.data).toBe('a\n\n\nb');
  });

  it('strips exactly one space after the colon', () => {
    const [a, b, c] = eventsOf(parse([utf8('data:tight\n\ndata:  two\n\nevent:\tx\ndata: y\n\n')]));
    expect(a?.data).toBe('tight');
    expect(b?.data).toBe(' two');
    expect(c?.event).toBe('\tx');
  });

  it('reads event, id and retry, keeping the last value of a repeated field', () => {
    const [only] = eventsOf(parse([utf8('event: a\nevent: b\nid: 1\nid: 2\nretry: x10\ndata: d\n\n')]));
    expect(only).toEqual(ev({ event: 'b', id: '2', retry: 'x10', data: 'd', raw: 'event: a\nevent: b\nid: 1\nid: 2\nretry: x10\ndata: d\n\n' }));
  });

  it('ignores an id containing NUL, as the spec says', () => {
    const [only] = eventsOf(parse([utf8('id: 7\nid: a\0b\ndata: d\n\n')]));
    expect(only?.id).toBe('7');
  });

  it('starts every event with its own fields, nothing carried over', () => {
    const [first, second] = eventsOf(parse([utf8('event: e\nid: 1\nretry: 5\ndata: a\n\ndata: b\n\n')]));
    expect(first).toMatchObject({ event: 'e', id: '1', retry: '5' });
    expect(second).toMatchObject({ event: undefined, id: undefined, retry: undefined, data: 'b' });
  });

  it('skips a leading BOM for parsing but keeps it in the raw text', () => {
    const bytes = utf8('\uFEFFevent: hello\ndata: x\n\n');
    for (const chunks of chunkings(bytes)) {
      expect(parse(chunks)).toEqual([
        { kind: 'event', event: ev({ event: 'hello', data: 'x', raw: '\uFEFFevent: hello\ndata: x\n\n' }) },
      ]);
    }
  });

  it('skips a BOM only at the very start of the stream', () => {
    const [, second] = eventsOf(parse([utf8('data: a\n\n\uFEFFevent: hello\ndata: b\n\n')]));
    expect(second?.event).toBeUndefined();
    expect(second?.data).toBe('b');
  });

  it('returns an unterminated final block verbatim as raw at end(), never as an event', () => {
    const parser = new SseParser();
    expect(parser.push(utf8('data: a\n\nevent: late\ndata: b\n'))).toEqual([
      { kind: 'event', event: ev({ data: 'a', raw: 'data: a\n\n' }) },
    ]);
    expect(parser.end()).toEqual([{ kind: 'raw', text: 'event: late\ndata: b\n' }]);
  });

  it('returns a final line without a line ending verbatim at end()', () => {
    expect(parse([utf8('data: a\n\ndata: b')])).toEqual([
      { kind: 'event', event: ev({ data: 'a', raw: 'data: a\n\n' }) },
      { kind: 'raw', text: 'data: b' },
    ]);
    expect(parse([utf8(': bye')])).toEqual([{ kind: 'raw', text: ': bye' }]);
  });

  it('returns nothing at end() for an empty stream or one that ended on a boundary', () => {
    expect(parse([])).toEqual([]);
    expect(parse([utf8('data: a\n\n')])).toHaveLength(1);
  });
});

describe('serializeSseEvent', () => {
  it('writes event, id, retry, then one data line per line, then a blank line', () => {
    expect(serializeSseEvent({ event: 'message', id: '3', retry: '100', data: 'a\nb' })).toBe(
      'event: message\nid: 3\nretry: 100\ndata: a\ndata: b\n\n',
    );
  });

  it('writes only data when the other fields are absent, and splits on every line ending', () => {
    expect(serializeSseEvent({ data: 'x\r\ny\rz' })).toBe('data: x\ndata: y\ndata: z\n\n');
    expect(serializeSseEvent({ data: '' })).toBe('data: \n\n');
  });

  it('round-trips through the parser', () => {
    const original = { event: 'endpoint', id: 'abc', retry: '2500', data: '{"a":"\u00e9"}\n\n  indented' };
    const [parsed] = eventsOf(parse([utf8(serializeSseEvent(original))]));
    expect(parsed).toMatchObject(original);
  });
});

/** Writes `chunks` into `stream`, ends it and returns everything it emitted. */
async function run(stream: SseRewriteStream, chunks: readonly Uint8Array[]): Promise<Buffer> {
  const collected = stream.toArray();
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  return Buffer.concat((await collected) as Buffer[]);
}

/** Resolves once `stream` has processed `text`. */
const write = (stream: SseRewriteStream, text: string): Promise<void> =>
  new Promise((resolve, reject) => stream.write(utf8(text), (error) => (error ? reject(error) : resolve())));

describe('SseRewriteStream', () => {
  it('passes a stream through byte for byte when nothing is rewritten', async () => {
    const bytes = utf8(MIXED);
    for (const chunks of chunkings(bytes)) {
      expect((await run(new SseRewriteStream(() => undefined), chunks)).equals(bytes)).toBe(true);
    }
  });

  it('replaces one event and leaves everything around it byte for byte identical', async () => {
    const target = 'event: update\r\nid: 42\r\nretry: 3000\r\ndata: caf\u00e9 \u20ac\r\ndata: \u{1F600}\r\n\r\n';
    const replacement = serializeSseEvent({ event: 'update', id: '42', data: 'rewritten' });
    const expected = utf8(MIXED.replace(target, replacement));
    expect(expected.equals(utf8(MIXED))).toBe(false);
    for (const chunks of chunkings(utf8(MIXED))) {
      const stream = new SseRewriteStream((event) => (event.id === '42' ? replacement : undefined));
      expect((await run(stream, chunks)).equals(expected)).toBe(true);
    }
  });

  it('shows the rewriter each parsed event once, and never comments or blank lines', async () => {
    const seen: SseEvent[] = [];
    await run(
      new SseRewriteStream((event) => {
        seen.push(event);
        return undefined;
      }),
      [...utf8(MIXED)].map((byte) => Buffer.from([byte])),
    );
    expect(seen).toEqual(eventsOf(MIXED_SEGMENTS));
  });

  it('drops an event whose replacement is the empty string', async () => {
    const stream = new SseRewriteStream((event) => (event.data === 'secret' ? '' : undefined));
    expect((await run(stream, [utf8('data: a\n\ndata: secret\n\ndata: b\n\n')])).toString()).toBe('data: a\n\ndata: b\n\n');
  });

  it('ends with the error a rewriter throws', async () => {
    const stream = new SseRewriteStream(() => {
      throw new Error('endpoint on another origin');
    });
    await expect(run(stream, [utf8(': ok\n\ndata: x\n\n')])).rejects.toThrow('endpoint on another origin');
  });

  it('forwards an unterminated final block verbatim without showing it to the rewriter', async () => {
    const seen: string[] = [];
    const stream = new SseRewriteStream((event) => {
      seen.push(event.data);
      return 'data: replaced\n\n';
    });
    expect((await run(stream, [utf8('data: a\n\ndata: cut off\n')])).toString()).toBe('data: replaced\n\ndata: cut off\n');
    expect(seen).toEqual(['a']);
  });

  it('injects a block between two upstream events, never inside a half-received one', async () => {
    const stream = new SseRewriteStream(() => undefined);
    const collected = stream.toArray();
    await write(stream, 'data: one\n\nevent: message\ndata: tw');
    expect(stream.inject('event: message\ndata: injected\n\n')).toBe(true);
    await write(stream, 'o\n\n');
    stream.end();
    expect(Buffer.concat((await collected) as Buffer[]).toString()).toBe(
      'data: one\n\nevent: message\ndata: injected\n\nevent: message\ndata: two\n\n',
    );
  });

  it('refuses to inject once the stream is ended or destroyed', async () => {
    const ended = new SseRewriteStream(() => undefined);
    const collected = ended.toArray();
    await write(ended, 'data: a\n\n');
    ended.end();
    expect(ended.inject('data: late\n\n')).toBe(false);
    expect(Buffer.concat((await collected) as Buffer[]).toString()).toBe('data: a\n\n');

    const destroyed = new SseRewriteStream(() => undefined);
    destroyed.destroy();
    expect(destroyed.inject('data: late\n\n')).toBe(false);
  });
});
