import { open } from 'node:fs/promises';

/** What {@link scanSegment} found besides the complete lines. */
export interface SegmentScan {
  /** Bytes scanned (the file size when the scan started, or less when `end` was given). */
  size: number;
  /** A last line without its newline (a write cut short by a crash, or one still being written). */
  torn?: { offset: number; length: number; line: number };
  /** Number of complete lines. */
  lines: number;
}

const CHUNK = 4 * 1024 * 1024;

/**
 * Reads a segment file from `start` (a line boundary) in large chunks and calls `onLine` for
 * every complete (newline-terminated) line: the line is `buf[start, end)` (without the newline;
 * valid only during the call), at byte `offset` of the file, with its 1-based line number. A
 * trailing partial line is not passed to `onLine`; it is reported as `torn`.
 */
export async function scanSegment(
  file: string,
  onLine: (buf: Buffer, start: number, end: number, offset: number, lineNo: number) => void,
  opts: { start?: number; firstLineNo?: number; end?: number } = {},
): Promise<SegmentScan> {
  const handle = await open(file, 'r');
  try {
    const end = opts.end ?? (await handle.stat()).size;
    let position = opts.start ?? 0;
    let lineNo = (opts.firstLineNo ?? 1) - 1;
    let carry: Buffer = Buffer.alloc(0);
    let carryOffset = position;
    while (position < end) {
      const want = Math.min(CHUNK, end - position);
      const chunk = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(chunk, 0, want, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(10, start);
        if (nl === -1) break;
        lineNo++;
        onLine(buf, start, nl, carryOffset + start, lineNo);
        start = nl + 1;
      }
      carryOffset += start;
      carry = start < buf.length ? Buffer.from(buf.subarray(start)) : Buffer.alloc(0);
    }
    const scan: SegmentScan = { size: position, lines: lineNo - ((opts.firstLineNo ?? 1) - 1) };
    if (carry.length > 0) scan.torn = { offset: carryOffset, length: carry.length, line: lineNo + 1 };
    return scan;
  } finally {
    await handle.close();
  }
}

const TAIL_WINDOW = 1024 * 1024;

/**
 * The hash (`h`) of the last complete, well-formed line of the newest segment that has one, read
 * from the end of the files (a window of 1 MiB, the whole file only if that window holds no such
 * line); `undefined` when there is none. `hashOf` returns a line's hash or `undefined` when the
 * line is not well-formed.
 */
export async function findLastHash(files: readonly string[], hashOf: (line: string) => string | undefined): Promise<string | undefined> {
  for (let f = files.length - 1; f >= 0; f--) {
    const file = files[f]!;
    const handle = await open(file, 'r');
    let size: number;
    let window: Buffer;
    let from: number;
    try {
      size = (await handle.stat()).size;
      from = Math.max(0, size - TAIL_WINDOW);
      window = Buffer.alloc(size - from);
      await handle.read(window, 0, window.length, from);
    } finally {
      await handle.close();
    }
    // Complete lines in the window: each ends with a newline and starts after one (or at 0).
    let end = window.lastIndexOf(10);
    while (end !== -1) {
      const start = end === 0 ? -1 : window.lastIndexOf(10, end - 1);
      if (start === -1 && from > 0) break;
      const hash = hashOf(window.toString('utf8', start + 1, end));
      if (hash !== undefined) return hash;
      end = start;
    }
    if (from > 0) {
      let last: string | undefined;
      await scanSegment(file, (buf, start, lineEnd) => {
        last = hashOf(buf.toString('utf8', start, lineEnd)) ?? last;
      });
      if (last !== undefined) return last;
    }
  }
  return undefined;
}
