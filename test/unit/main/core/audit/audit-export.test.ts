import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { CSV_COLUMNS, exportFileName } from '../../../../../main/core/audit/audit-export.js';
import type { AuditEvent } from '../../../../../main/core/audit/audit-event.js';
import { call, collect, Scratch } from './helpers.js';

const scratch = new Scratch();
afterEach(() => scratch.cleanup());

const awkward = {
  note: 'comma, "quotes", newline\nand a tab\there',
  unicode: 'naïve – 日本語 🚀',
};

async function storeWithEvents() {
  const store = await scratch.open({ dir: await scratch.dir(), maxSegmentBytes: 4_000 });
  const recorded: AuditEvent[] = [];
  for (let i = 0; i < 40; i++) {
    recorded.push(
      store.record(
        call({
          time: Date.UTC(2026, 10, 21) + i,
          server: i % 2 ? 'github' : 'files',
          args: { i, ...awkward },
          outcome: i % 4 === 3 ? 'rpc_error' : 'ok',
          ...(i % 4 === 3 ? { error: { code: -32602, message: 'Invalid params: "path", required' } } : {}),
          preview: '=HYPERLINK("http://evil")',
        }),
      )!,
    );
  }
  recorded.push(store.record({ kind: 'lifecycle', server: 'files', event: 'exit', exitCode: 1, signal: null, time: Date.UTC(2026, 10, 21) + 100 })!);
  return { store, recorded };
}

describe('exports', () => {
  it('JSONL gives back every event exactly, oldest first, without the chain fields', async () => {
    const { store, recorded } = await storeWithEvents();
    const text = await collect(store.export({}, 'jsonl'));
    const lines = text.trimEnd().split('\n');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed).toEqual(recorded);
    expect(parsed.some((e) => 'prev' in e || 'h' in e)).toBe(false);
  });

  it('CSV parses back with a CSV parser: header, one row per event, nested fields flattened', async () => {
    const { store, recorded } = await storeWithEvents();
    const text = await collect(store.export({}, 'csv'));
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(CSV_COLUMNS);
    expect(rows).toHaveLength(recorded.length);
    const third = rows[3]!;
    expect(third).toMatchObject({
      time: '2026-11-21T00:00:00.003Z',
      id: recorded[3]!.id,
      server: 'github',
      outcome: 'rpc_error',
      'error.code': '-32602',
      'error.message': 'Invalid params: "path", required',
      'client.tokenName': 'laptop',
      'client.name': 'claude-code',
    });
    expect(JSON.parse(third.args!)).toEqual({ i: 3, ...awkward });
    // A cell a spreadsheet would run as a formula is defused.
    expect(third.preview).toBe(`'=HYPERLINK("http://evil")`);
    expect(rows.at(-1)).toMatchObject({ kind: 'lifecycle', event: 'exit', exitCode: '1', signal: '', args: '' });
  });

  it('applies the same filters as queries', async () => {
    const { store } = await storeWithEvents();
    const csv = parse(await collect(store.export({ server: ['github'], outcome: ['rpc_error'] }, 'csv')), { columns: true }) as Record<string, string>[];
    expect(csv.map((r) => JSON.parse(r.args!).i)).toEqual([3, 7, 11, 15, 19, 23, 27, 31, 35, 39]);
    const jsonl = (await collect(store.export({ text: 'RPC_error', kind: ['request'] }, 'jsonl'))).trimEnd().split('\n');
    expect(jsonl).toHaveLength(10);
    expect(await collect(store.export({ server: ['nobody'] }, 'csv'))).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
  });

  it('leaves out events recorded after the export started', async () => {
    const { store } = await storeWithEvents();
    const chunks = store.export({}, 'jsonl');
    store.record(call({ target: 'late' }));
    expect(await collect(chunks)).not.toContain('"late"');
  });

  it('names the download after the day', () => {
    expect(exportFileName('csv', Date.UTC(2026, 10, 21, 23))).toBe('gatehouse-audit-2026-11-21.csv');
  });
});
