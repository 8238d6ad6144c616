import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { AuditEvent } from './audit-event.js';
import { listSegmentFiles } from './audit-verify.js';
import { isHeader, lineFrame, parseLine, segmentSeq } from './segment-format.js';
import { scanSegment } from './segment-reader.js';

/** Options of {@link followAudit}. */
export interface FollowOptions {
  /** Stops following; the promise then resolves. */
  signal: AbortSignal;
  /** How often to look for new lines (default 250 ms). */
  pollMs?: number;
  /** Also deliver the events already on disk (default: only new ones). */
  fromStart?: boolean;
}

/**
 * Follows the segment files in `dir` like `tail -f`, from another process than the one
 * writing: polls the newest segment for complete new lines and moves on to the next segment
 * when one appears. A line still being written is picked up on the next poll.
 */
export async function followAudit(dir: string, onEvent: (event: AuditEvent) => void, opts: FollowOptions): Promise<void> {
  const pollMs = opts.pollMs ?? 250;
  let file: string | undefined;
  let position = 0;
  let lineNo = 1;

  const readNew = async (emit: boolean): Promise<void> => {
    if (file === undefined) return;
    let scan;
    try {
      scan = await scanSegment(
        path.join(dir, file),
        (buf, start, end) => {
          if (!emit) return;
          const line = buf.toString('utf8', start, end);
          if (!lineFrame(line)) return;
          let value;
          try {
            value = parseLine(line);
          } catch {
            return;
          }
          if (!isHeader(value)) onEvent(value);
        },
        { start: position, firstLineNo: lineNo },
      );
    } catch (error) {
      // Deleted by retention under our feet: move on to the next segment.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    position = scan.torn ? scan.torn.offset : scan.size;
    lineNo += scan.lines;
  };

  const initial = await listSegmentFiles(dir);
  if (opts.fromStart) file = initial[0];
  else {
    file = initial[initial.length - 1];
    await readNew(false);
  }

  while (!opts.signal.aborted) {
    // List before reading: the writer starts a new segment only after its last write to the
    // old one, so once a newer segment is listed, one more read finishes the current one.
    const files = await listSegmentFiles(dir);
    file ??= files[0];
    const currentSeq = file === undefined ? -1 : segmentSeq(file)!;
    const next = files.find((name) => segmentSeq(name)! > currentSeq);
    await readNew(true);
    if (next !== undefined && next !== file) {
      file = next;
      position = 0;
      lineNo = 1;
      continue;
    }
    try {
      await delay(pollMs, undefined, { signal: opts.signal });
    } catch {
      return;
    }
  }
}
