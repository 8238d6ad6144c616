import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { runAuditCommand, type AuditCommandIo } from '../../../../../main/cli/audit-command.js';
import { auditDir } from '../../../../../main/core/audit/audit-store.js';
import { call, Scratch, segmentFiles } from './helpers.js';

const scratch = new Scratch();
afterEach(() => scratch.cleanup());

const NOW = Date.UTC(2026, 10, 21, 12);

function io(signal?: AbortSignal): AuditCommandIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, env: {}, now: () => NOW, ...(signal ? { signal } : {}), out: () => out, err: () => err };
}

/** A data dir whose audit holds one old event and three recent ones. */
async function dataDir(): Promise<string> {
  const data = await scratch.dir();
  const store = await scratch.open({ dir: auditDir(data), maxSegmentBytes: 1_500 });
  store.record(call({ time: NOW - 3 * 86_400_000, target: 'old' }));
  store.record(call({ time: NOW - 3_600_000, target: 'recent-1', server: 'github' }));
  store.record(call({ time: NOW - 60_000, target: 'recent-2', outcome: 'denied' }));
  store.record(call({ time: NOW - 1_000, target: 'recent-3' }));
  await store.close();
  return data;
}

describe('gatehouse audit', () => {
  it('export --since 24h --format csv writes the recent events as CSV to stdout', async () => {
    const data = await dataDir();
    const t = io();
    expect(await runAuditCommand(['export', '--since', '24h', '--format', 'csv'], t, data)).toBe(0);
    const rows = parse(t.out(), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.target)).toEqual(['recent-1', 'recent-2', 'recent-3']);
    const filtered = io();
    await runAuditCommand(['export', '--outcome', 'denied', '--server', 'files'], filtered, data);
    expect(filtered.out().trimEnd().split('\n').map((l) => JSON.parse(l).target)).toEqual(['recent-2']);
  });

  it('export --output FILE writes the file', async () => {
    const data = await dataDir();
    const file = path.join(data, 'out.jsonl');
    expect(await runAuditCommand(['export', '--output', file, '--data-dir', data], io(), '/nonexistent')).toBe(0);
    expect((await readFile(file, 'utf8')).trimEnd().split('\n')).toHaveLength(4);
  });

  it('rejects bad flags with exit 2 and a message naming the flag', async () => {
    const data = await dataDir();
    const t = io();
    expect(await runAuditCommand(['export', '--since', 'someday'], t, data)).toBe(2);
    expect(t.err()).toMatch(/--since: "someday" is not a time/);
    const f = io();
    expect(await runAuditCommand(['export', '--format', 'xml'], f, data)).toBe(2);
    expect(f.err()).toMatch(/--format must be one of jsonl, csv/);
    expect(await runAuditCommand(['frobnicate'], io(), data)).toBe(2);
  });

  it('verify exits 0 on an intact log and 1 with the place of a break', async () => {
    const data = await dataDir();
    const good = io();
    expect(await runAuditCommand(['verify'], good, data)).toBe(0);
    expect(good.out()).toMatch(/audit chain intact: 4 events in \d+ segments/);

    const dir = auditDir(data);
    const [first] = await segmentFiles(dir);
    const file = path.join(dir, first!);
    await writeFile(file, (await readFile(file, 'utf8')).replace('"target":"old"', '"target":"odd"'));
    const bad = io();
    expect(await runAuditCommand(['verify'], bad, data)).toBe(1);
    expect(bad.out()).toBe(`audit chain BROKEN at ${first} line 2: the line was altered: its content does not match its hash\n`);
  });

  it('tail --all prints the stored matching events, then new ones as they come, across segments', async () => {
    const data = await scratch.dir();
    const store = await scratch.open({ dir: auditDir(data), maxSegmentBytes: 1_000 });
    store.record(call({ target: 'wanted-0', durationMs: 12 }));
    store.record(call({ target: 'other' }));
    const abort = new AbortController();
    const t = io(abort.signal);
    const running = runAuditCommand(['tail', '--all', '--tool', 'wanted-*'], t, data);
    await expect.poll(() => t.out()).toContain('wanted-0');
    for (let i = 1; i < 6; i++) store.record(call({ target: `wanted-${i}` }));
    store.record(call({ target: 'unwanted' }));
    await expect.poll(() => t.out().split('\n').filter(Boolean).length, { timeout: 5_000 }).toBe(6);
    expect((await segmentFiles(auditDir(data))).length).toBeGreaterThan(2);
    expect(t.out()).not.toContain('other');
    expect(t.out().split('\n').map((l) => /wanted-\d/.exec(l)?.[0]).filter(Boolean)).toEqual(['wanted-0', 'wanted-1', 'wanted-2', 'wanted-3', 'wanted-4', 'wanted-5']);
    expect(t.out().split('\n')[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z {2}ok +files +tools\/call wanted-0 {2}12ms {2}client=laptop$/);
    abort.abort();
    expect(await running).toBe(0);
  });
});
