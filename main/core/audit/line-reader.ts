import { open } from 'node:fs/promises';
import type { RowLocation } from './audit-index.js';

/** Two wanted lines closer than this are read with one `read` (the bytes between are discarded). */
const MAX_GAP = 64 * 1024;
/** Largest single read. */
const MAX_SPAN = 8 * 1024 * 1024;

/**
 * Reads the lines at `rows` (any order) from their segment files. Lines close together are
 * read with one call, so a run of consecutive rows costs one read. A line whose segment is gone
 * (removed by retention while the query ran) comes back `undefined`.
 */
export async function readRows(rows: readonly RowLocation[], fileOf: (seq: number) => string | undefined): Promise<(string | undefined)[]> {
  const out: (string | undefined)[] = new Array(rows.length).fill(undefined);
  const bySeq = new Map<number, number[]>();
  rows.forEach((row, i) => {
    let list = bySeq.get(row.seq);
    if (!list) bySeq.set(row.seq, (list = []));
    list.push(i);
  });
  for (const [seq, indexes] of bySeq) {
    const file = fileOf(seq);
    if (file === undefined) continue;
    indexes.sort((a, b) => rows[a]!.offset - rows[b]!.offset);
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    try {
      let k = 0;
      while (k < indexes.length) {
        // Grow a span of rows to read in one go.
        const first = rows[indexes[k]!]!;
        let end = first.offset + first.length;
        let j = k + 1;
        while (j < indexes.length) {
          const next = rows[indexes[j]!]!;
          const nextEnd = next.offset + next.length;
          if (next.offset - end > MAX_GAP || nextEnd - first.offset > MAX_SPAN) break;
          end = Math.max(end, nextEnd);
          j++;
        }
        const buffer = Buffer.allocUnsafe(end - first.offset);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, first.offset);
        for (let m = k; m < j; m++) {
          const row = rows[indexes[m]!]!;
          const from = row.offset - first.offset;
          if (from + row.length <= bytesRead) out[indexes[m]!] = buffer.toString('utf8', from, from + row.length);
        }
        k = j;
      }
    } finally {
      await handle.close();
    }
  }
  return out;
}
