import { afterEach, describe, expect, it } from 'vitest';
import { parseAuditQuery } from '../../../../../main/core/audit/audit-query.js';
import { parseTimeBound } from '../../../../../shared/time-bound.js';
import type { AuditStore } from '../../../../../main/core/audit/audit-store.js';
import { call, Scratch } from './helpers.js';

const scratch = new Scratch();
afterEach(() => scratch.cleanup());

const T0 = Date.UTC(2026, 10, 21, 10, 0, 0);

/** 100 events, one a minute from T0: servers alternate, every 10th fails, every 7th is from "ci". */
async function sampleStore(opts: { maxSegmentBytes?: number } = {}): Promise<AuditStore> {
  const store = await scratch.open({ dir: await scratch.dir(), ...opts });
  for (let i = 0; i < 100; i++) {
    store.record(
      call({
        time: T0 + i * 60_000,
        server: i % 2 === 0 ? 'files' : 'github',
        target: i % 3 === 0 ? 'write_file' : 'read_file',
        method: i % 5 === 0 ? 'tools/list' : 'tools/call',
        outcome: i % 10 === 9 ? 'rpc_error' : 'ok',
        client: { tokenName: i % 7 === 0 ? 'ci' : 'laptop', name: i % 7 === 0 ? 'codex' : 'cursor' },
        args: { n: i, note: i === 42 ? 'The Needle is here' : 'hay' },
      }),
    );
  }
  return store;
}

const numbers = (items: { args?: unknown }[]): number[] => items.map((e) => (e.args as { n: number }).n);

describe('AuditStore.query', () => {
  it('returns newest first with a default page', async () => {
    const store = await sampleStore();
    const page = await store.query({ limit: 3 });
    expect(numbers(page.items)).toEqual([99, 98, 97]);
    expect(page.nextCursor).toEqual(expect.any(String));
  });

  it('filters by server, outcome, method, tool, client and time, together', async () => {
    const store = await sampleStore();
    expect(numbers((await store.query({ outcome: ['rpc_error'], limit: 100 })).items)).toEqual([99, 89, 79, 69, 59, 49, 39, 29, 19, 9]);
    expect(numbers((await store.query({ server: ['github'], outcome: ['rpc_error'], limit: 100 })).items)).toEqual([99, 89, 79, 69, 59, 49, 39, 29, 19, 9]);
    expect(numbers((await store.query({ server: ['files'], outcome: ['rpc_error'] })).items)).toEqual([]);
    expect(numbers((await store.query({ client: ['ci'], tool: ['write_*'], limit: 100 })).items)).toEqual([84, 63, 42, 21, 0]);
    // The client filter matches the client name from initialize too.
    expect(numbers((await store.query({ client: ['codex'], method: ['tools/list'], limit: 100 })).items)).toEqual([70, 35, 0]);
    expect(
      numbers((await store.query({ since: T0 + 10 * 60_000, until: T0 + 13 * 60_000, limit: 100 })).items),
    ).toEqual([12, 11, 10]);
  });

  it('pages with the cursor without gaps or repeats, across segments', async () => {
    const store = await sampleStore({ maxSegmentBytes: 3_000 });
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.query({ server: ['files'], limit: 7, ...(cursor ? { cursor } : {}) });
      seen.push(...numbers(page.items));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => 98 - 2 * i));
    expect(pages).toBe(8);
  });

  it('a cursor keeps its place while new events arrive', async () => {
    const store = await sampleStore();
    const first = await store.query({ limit: 10 });
    store.record(call({ args: { n: 1000 } }));
    const second = await store.query({ limit: 3, cursor: first.nextCursor! });
    expect(numbers(second.items)).toEqual([89, 88, 87]);
  });

  it('searches free text in values, case-insensitively, not in keys', async () => {
    const store = await sampleStore();
    expect(numbers((await store.query({ text: 'needle IS' })).items)).toEqual([42]);
    expect((await store.query({ text: 'outcome' })).items).toEqual([]);
    const page = await store.query({ text: 'hay', server: ['files'], limit: 5 });
    expect(numbers(page.items)).toEqual([98, 96, 94, 92, 90]);
    const next = await store.query({ text: 'hay', server: ['files'], limit: 5, cursor: page.nextCursor! });
    expect(numbers(next.items)).toEqual([88, 86, 84, 82, 80]);
  });

  it('finds text that JSON escapes on disk (quotes, backslashes, newlines)', async () => {
    const store = await scratch.open({ dir: await scratch.dir() });
    store.record(call({ args: { n: 1, cmd: 'grep "TODO" C:\\src\nnext line' } }));
    store.record(call({ args: { n: 2, cmd: 'plain' } }));
    expect(numbers((await store.query({ text: '"todo" c:\\SRC' })).items)).toEqual([1]);
    expect(numbers((await store.query({ text: 'src\nnext' })).items)).toEqual([1]);
  });

  it('refuses a forged cursor', async () => {
    const store = await sampleStore();
    await expect(store.query({ cursor: 'nonsense' })).rejects.toThrow(/cursor/);
  });
});

describe('parseAuditQuery', () => {
  const now = Date.UTC(2026, 10, 21, 12, 0, 0);

  it('reads repeated and comma-separated lists, times, limit and text', () => {
    const result = parseAuditQuery(
      { since: '24h', until: '2026-11-21T11:00:00Z', server: ['a,b', 'c'], outcome: 'ok,timeout', limit: '20', q: 'x' },
      now,
    );
    expect(result).toEqual({
      ok: true,
      query: {
        since: now - 86_400_000,
        until: Date.UTC(2026, 10, 21, 11),
        server: ['a', 'b', 'c'],
        outcome: ['ok', 'timeout'],
        limit: 20,
        text: 'x',
      },
    });
  });

  it('explains what is wrong', () => {
    const message = (raw: Record<string, string>): string => {
      const r = parseAuditQuery(raw, now);
      return r.ok ? 'ok' : r.message;
    };
    expect(message({ outcome: 'broken' })).toMatch(/"outcome" must be one of ok, tool_error, rpc_error/);
    expect(message({ since: 'yesterday' })).toMatch(/"since": "yesterday" is not a time/);
    expect(message({ limit: '0' })).toMatch(/"limit"/);
    expect(message({ limit: '5000' })).toMatch(/"limit"/);
    expect(message({ servr: 'a' })).toBe('unknown parameter "servr"');
    expect(message({ cursor: 'abc' })).toMatch(/"cursor": is not a cursor/);
  });

  it('parses time bounds as users write them', () => {
    expect(parseTimeBound('30m', now)).toBe(now - 1_800_000);
    expect(parseTimeBound('7d', now)).toBe(now - 7 * 86_400_000);
    expect(parseTimeBound('2026-11-20', now)).toBe(Date.UTC(2026, 10, 20));
    expect(parseTimeBound(String(now), now)).toBe(now);
    expect(parseTimeBound('soon', now)).toBeUndefined();
    expect(parseTimeBound('2026-13-45', now)).toBeUndefined();
  });
});
