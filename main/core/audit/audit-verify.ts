import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { GENESIS_HASH, hashBody, isHeader, lineFrame, parseLine, segmentSeq } from './segment-format.js';
import { scanSegment } from './segment-reader.js';

/** Where the chain first breaks: the file, the 1-based line, and why. */
export interface VerifyBreak {
  file: string;
  line: number;
  reason: string;
}

/** Result of {@link verifyAuditDir}. */
export interface VerifyReport {
  ok: boolean;
  segments: number;
  /** Event lines checked (headers not counted). */
  events: number;
  /** The first break, when `ok` is false. */
  break?: VerifyBreak;
  /** Things that are not breaks: a torn last line after a crash, a chain start after retention. */
  warnings: string[];
  /** `h` of the last complete line, to compare with an anchor kept elsewhere (the running store's). */
  lastHash?: string;
}

/**
 * Walks every segment in `dir` in order and checks the hash chain: each line's `h` must be the
 * hash of its content (an edited line fails here), each line's `prev` the `h` of the line
 * before (a removed or inserted line fails here), and each segment's header must continue the
 * previous segment. Stops at the first break and reports its place.
 *
 * The oldest remaining segment may start from a hash whose segment retention deleted; that is
 * reported as a warning, as is an incomplete last line (a write cut short by a crash).
 */
export async function verifyAuditDir(dir: string): Promise<VerifyReport> {
  const files = await listSegmentFiles(dir);
  const report: VerifyReport = { ok: true, segments: files.length, events: 0, warnings: [] };
  let expected: string | undefined;
  let previousFile: string | undefined;
  for (const name of files) {
    const file = path.join(dir, name);
    let failure: VerifyBreak | undefined;
    const fail = (line: number, reason: string): void => {
      failure ??= { file: name, line, reason };
    };
    const scan = await scanSegment(file, (buf, start, end, _offset, lineNo) => {
      if (failure) return;
      const line = buf.toString('utf8', start, end);
      const frame = lineFrame(line);
      if (!frame) return fail(lineNo, 'not an audit line (its frame is damaged)');
      if (hashBody(frame.body) !== frame.hash) return fail(lineNo, 'the line was altered: its content does not match its hash');
      if (lineNo === 1) {
        let header;
        try {
          header = parseLine(line);
        } catch {
          return fail(lineNo, 'the segment header is not valid JSON');
        }
        if (!isHeader(header)) return fail(lineNo, 'the segment does not start with a header (its first lines were removed)');
        if (expected === undefined) {
          if (frame.prev !== GENESIS_HASH) {
            report.warnings.push(`${name}: the chain starts here; earlier segments were removed (by retention, or by hand)`);
          }
        } else if (frame.prev !== expected) {
          return fail(lineNo, `the segment does not continue ${previousFile}: a segment or its last lines were removed or altered`);
        }
      } else {
        report.events++;
        if (frame.prev !== expected) return fail(lineNo, `the line does not follow line ${lineNo - 1}: a line before it was removed or inserted`);
      }
      expected = frame.hash;
    });
    if (scan.lines === 0 && !scan.torn) report.warnings.push(`${name}: empty segment`);
    if (failure) {
      report.ok = false;
      report.break = failure;
      return report;
    }
    if (scan.torn) report.warnings.push(`${name}: line ${scan.torn.line} is incomplete (a write cut short by a crash); skipped`);
    previousFile = name;
  }
  if (expected !== undefined) report.lastHash = expected;
  return report;
}

/** Segment file names in `dir`, in write order; none when the directory does not exist. */
export async function listSegmentFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .map((name) => ({ name, seq: segmentSeq(name) }))
    .filter((e): e is { name: string; seq: number } => e.seq !== undefined)
    .sort((a, b) => a.seq - b.seq)
    .map((e) => e.name);
}
