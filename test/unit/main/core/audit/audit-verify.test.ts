import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyAuditDir } from '../../../../../main/core/audit/audit-verify.js';
import { call, Scratch, segmentFiles } from './helpers.js';

const scratch = new Scratch();
afterEach(() => scratch.cleanup());

/** A closed audit dir with `count` events across several segments; returns the dir and file names. */
async function filledDir(count: number, maxSegmentBytes = 100_000): Promise<{ dir: string; files: string[] }> {
  const dir = await scratch.dir();
  const store = await scratch.open({ dir, maxSegmentBytes });
  for (let i = 0; i < count; i++) store.record(call({ target: `tool-${i}`, durationMs: i }));
  await store.close();
  return { dir, files: await segmentFiles(dir) };
}

async function editLines(file: string, edit: (lines: string[]) => string[]): Promise<void> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  await writeFile(file, edit(lines).join('\n'));
}

describe('verifyAuditDir', () => {
  it('passes an untouched log', async () => {
    const { dir, files } = await filledDir(30, 2_000);
    expect(files.length).toBeGreaterThan(2);
    const report = await verifyAuditDir(dir);
    expect(report).toMatchObject({ ok: true, segments: files.length, events: 30, warnings: [] });
  });

  it('finds an edited line and says which', async () => {
    const { dir, files } = await filledDir(10);
    await editLines(path.join(dir, files[0]!), (lines) => lines.map((l, i) => (i === 4 ? l.replace('"outcome":"ok"', '"outcome":"denied"') : l)));
    const report = await verifyAuditDir(dir);
    expect(report.ok).toBe(false);
    expect(report.break).toEqual({ file: files[0], line: 5, reason: 'the line was altered: its content does not match its hash' });
  });

  it('finds a removed line at the line after the gap', async () => {
    const { dir, files } = await filledDir(10);
    await editLines(path.join(dir, files[0]!), (lines) => lines.filter((_, i) => i !== 6));
    const report = await verifyAuditDir(dir);
    expect(report.break).toEqual({
      file: files[0],
      line: 7,
      reason: 'the line does not follow line 6: a line before it was removed or inserted',
    });
  });

  it('finds a removed segment in the middle, and lines removed at the end of a segment', async () => {
    const { dir, files } = await filledDir(40, 2_000);
    expect(files.length).toBeGreaterThan(3);
    await rm(path.join(dir, files[1]!));
    expect((await verifyAuditDir(dir)).break).toMatchObject({ file: files[2], line: 1 });

    const other = await filledDir(40, 2_000);
    await editLines(path.join(other.dir, other.files[0]!), (lines) => [...lines.slice(0, -2), '']);
    expect((await verifyAuditDir(other.dir)).break).toMatchObject({
      file: other.files[1],
      line: 1,
      reason: expect.stringContaining(`does not continue ${other.files[0]}`),
    });
  });

  it('a running store also notices its newest lines going missing', async () => {
    const dir = await scratch.dir();
    const store = await scratch.open({ dir });
    for (let i = 0; i < 5; i++) store.record(call());
    expect((await store.verify()).ok).toBe(true);
    const [file] = await segmentFiles(dir);
    await editLines(path.join(dir, file!), (lines) => [...lines.slice(0, -2), '']);
    const report = await store.verify();
    expect(report.ok).toBe(false);
    expect(report.break?.reason).toMatch(/newest lines/);
  });
});
