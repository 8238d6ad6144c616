import { readdirSync } from 'node:fs';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../../../main/core/audit/audit-event.js';
import { auditDir } from '../../../../../main/core/audit/audit-store.js';
import { verifyAuditDir } from '../../../../../main/core/audit/audit-verify.js';
import { call, Scratch, segmentFiles } from './helpers.js';

const scratch = new Scratch();
afterEach(() => scratch.cleanup());

const DAY = 86_400_000;

describe('AuditStore', () => {
  it('keeps events across a reopen, one JSON line each, and continues the chain', async () => {
    const dir = await scratch.dir();
    const first = await scratch.open({ dir });
    const a = first.record(call({ target: 'a' }))!;
    const b = first.record(call({ target: 'b', outcome: 'tool_error' }))!;
    expect(a.id).not.toBe(b.id);
    await first.close();

    const [segment] = await segmentFiles(dir);
    const lines = (await readFile(path.join(dir, segment!), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(3); // header + 2 events
    expect(JSON.parse(lines[1]!)).toMatchObject({ id: a.id, target: 'a', server: 'files' });

    const second = await scratch.open({ dir });
    expect(second.size).toBe(2);
    second.record(call({ target: 'c' }));
    const page = await second.query({});
    expect(page.items.map((e) => e.target)).toEqual(['c', 'b', 'a']);
    await second.flush();
    const report = await verifyAuditDir(dir);
    expect(report).toMatchObject({ ok: true, segments: 2, events: 3 });
  });

  it('takes records at once while the segments on disk are still being indexed', async () => {
    const dir = await scratch.dir();
    const first = await scratch.open({ dir, maxSegmentBytes: 50_000 });
    for (let i = 0; i < 2_000; i++) first.record(call({ target: `old-${i}` }));
    await first.close();

    const store = await scratch.open({ dir }, false);
    store.record(call({ target: 'new-1' }));
    store.record(call({ target: 'new-2' }));
    const page = await store.query({ limit: 4 });
    expect(page.items.map((e) => e.target)).toEqual(['new-2', 'new-1', 'old-1999', 'old-1998']);
    expect(store.size).toBe(2_002);
    expect(store.stats()[0]!.calls).toBe(2_002);
    expect(await store.verify()).toMatchObject({ ok: true, events: 2_002 });
  });

  it('creates nothing until the first event, and nothing at all when read-only', async () => {
    const data = await scratch.dir();
    const dir = auditDir(data);
    const readOnly = await scratch.open({ dir, readOnly: true });
    expect(readOnly.size).toBe(0);
    expect(() => readOnly.record(call())).toThrow(/read-only/);
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    const store = await scratch.open({ dir });
    expect(await segmentFiles(dir)).toEqual([]);
    store.record(call());
    expect(await segmentFiles(dir)).toHaveLength(1);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('delivers new events to subscribers after they are stored, until disposed', async () => {
    const dir = await scratch.dir();
    const store = await scratch.open({ dir });
    const seen: AuditEvent[] = [];
    const sub = store.subscribe((event) => seen.push(event));
    const recorded = store.record(call({ args: { token: 'x' } }))!;
    expect(seen).toEqual([recorded]);
    expect(seen[0]!.args).toEqual({ token: '[REDACTED]' });
    expect((await store.query({})).items[0]).toEqual(recorded);
    sub.dispose();
    store.record(call());
    expect(seen).toHaveLength(1);
  });

  it('rotates by size and by UTC day', async () => {
    const dir = await scratch.dir();
    let now = Date.UTC(2026, 10, 21, 23, 59, 0);
    const store = await scratch.open({ dir, maxSegmentBytes: 2_000, now: () => now });
    for (let i = 0; i < 20; i++) store.record(call({ target: `t${i}` }));
    const bySize = await segmentFiles(dir);
    expect(bySize.length).toBeGreaterThanOrEqual(4);
    for (const name of bySize.slice(0, -1)) {
      // A segment is closed once it reaches the limit: at most one line over it.
      expect((await stat(path.join(dir, name))).size).toBeLessThan(2_000 + 500);
    }
    now += 2 * 60_000; // past midnight UTC
    store.record(call({ target: 'next-day' }));
    const after = await segmentFiles(dir);
    expect(after).toHaveLength(bySize.length + 1);
    expect(after.at(-1)).toMatch(/^audit-\d{8}-20261122T000100Z\.ndjson$/);
    await store.flush();
    expect((await verifyAuditDir(dir)).ok).toBe(true);
    expect((await store.query({ limit: 100 })).items).toHaveLength(21);
  });

  it('deletes the oldest segments beyond the total size, and their events from queries', async () => {
    const dir = await scratch.dir();
    const store = await scratch.open({ dir, maxSegmentBytes: 1_500, maxTotalBytes: 5_000 });
    for (let i = 0; i < 60; i++) store.record(call({ target: `t${i}` }));
    await store.enforceRetention();
    const files = await segmentFiles(dir);
    const sizes = await Promise.all(files.map(async (f) => (await stat(path.join(dir, f))).size));
    const total = sizes.reduce((a, b) => a + b, 0);
    // Within the limit, except for up to the segment being written.
    expect(total - sizes.at(-1)!).toBeLessThanOrEqual(5_000);
    expect(files.length).toBeLessThan(15);
    const targets = (await store.query({ limit: 1000 })).items.map((e) => e.target);
    expect(targets[0]).toBe('t59');
    expect(targets).not.toContain('t0');
    expect(targets.length).toBe(store.size);
    // The chain still holds; its start is reported, not treated as a break.
    const report = await verifyAuditDir(dir);
    expect(report.ok).toBe(true);
    expect(report.warnings.join('\n')).toMatch(/earlier segments were removed/);
  });

  it('deletes segments whose newest event is older than the age limit', async () => {
    const dir = await scratch.dir();
    let now = Date.UTC(2026, 0, 1);
    const store = await scratch.open({ dir, maxAgeMs: 2 * DAY, now: () => now });
    store.record(call({ target: 'old' }));
    now += DAY;
    store.record(call({ target: 'middle' }));
    now += 2 * DAY;
    store.record(call({ target: 'new' }));
    await store.enforceRetention();
    expect(await segmentFiles(dir)).toHaveLength(2);
    expect((await store.query({})).items.map((e) => e.target)).toEqual(['new', 'middle']);
    await store.close();
    // Also at open: 'middle' is now 3.5 days old, 'new' 1.5.
    now += 1.5 * DAY;
    const reopened = await scratch.open({ dir, maxAgeMs: 2 * DAY, now: () => now });
    expect((await reopened.query({})).items.map((e) => e.target)).toEqual(['new']);
  });

  it('skips and reports a torn last line after a crash, and carries on writing', async () => {
    const dir = await scratch.dir();
    const store = await scratch.open({ dir });
    store.record(call({ target: 'whole' }));
    await store.close();
    const [segment] = await segmentFiles(dir);
    await appendFile(path.join(dir, segment!), '{"prev":"abc","time":17');

    const reopened = await scratch.open({ dir });
    expect(reopened.warnings).toEqual([`${segment}: line 3 is incomplete (a write cut short by a crash); skipped`]);
    expect((await reopened.query({})).items.map((e) => e.target)).toEqual(['whole']);
    reopened.record(call({ target: 'after' }));
    expect((await reopened.query({})).items.map((e) => e.target)).toEqual(['after', 'whole']);
    await reopened.flush();
    const report = await verifyAuditDir(dir);
    expect(report.ok).toBe(true);
    expect(report.warnings).toEqual([`${segment}: line 3 is incomplete (a write cut short by a crash); skipped`]);
  });

  it('skips a garbage line in the middle with a warning instead of failing to open', async () => {
    const dir = await scratch.dir();
    const store = await scratch.open({ dir });
    store.record(call({ target: 'a' }));
    await store.close();
    const [segment] = await segmentFiles(dir);
    const file = path.join(dir, segment!);
    await writeFile(file, (await readFile(file, 'utf8')) + 'not json at all\n');
    const reopened = await scratch.open({ dir });
    expect(reopened.warnings).toEqual([`${segment}: line 3 is not a readable audit line; skipped`]);
    expect(reopened.size).toBe(1);
  });

  it('with batchWrites, writes on the next turn and before any read', async () => {
    const dir = await scratch.dir();
    const store = await scratch.open({ dir, batchWrites: true });
    for (let i = 0; i < 5; i++) store.record(call({ target: `t${i}` }));
    // Checked synchronously: the batch is written on the next turn of the event loop.
    expect(readdirSync(dir)).toEqual([]);
    expect((await store.query({})).items).toHaveLength(5);
    expect(await segmentFiles(dir)).toHaveLength(1);
  });

  it('ignores records once closing', async () => {
    const dir = await scratch.dir();
    const store = await scratch.open({ dir });
    store.record(call());
    await store.close();
    expect(store.record(call())).toBeUndefined();
    const reopened = await scratch.open({ dir, readOnly: true });
    expect(reopened.size).toBe(1);
  });
});
