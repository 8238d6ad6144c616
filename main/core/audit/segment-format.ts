/**
 * The on-disk format of audit segments.
 *
 * A segment is an NDJSON file `audit-<seq>-<yyyymmddThhmmssZ>.ndjson` (seq zero-padded, so
 * names sort in write order). Its first line is a header, every other line one event:
 *
 *     {"prev":"<hash of the line before>","gatehouse":"audit-segment","v":1,"seq":3,"created":...,"h":"<own hash>"}
 *     {"prev":"<hash of the header>","time":...,"id":"...",...,"h":"<own hash>"}
 *
 * `h` is the hash of the line's own bytes up to (not including) `,"h":...`, with a closing
 * brace; `prev` is the `h` of the line before it. The header's `prev` is the `h` of the last
 * complete line of the previous segment, which chains the segments together. The hash is
 * SHA-256 cut to 132 bits (22 base64url characters): tamper evidence, not a signature.
 */
import { createHash } from 'node:crypto';
import type { AuditEvent } from './audit-event.js';

/** Length of a hash in the file. */
export const HASH_LENGTH = 22;
/** `prev` of the very first segment's header. */
export const GENESIS_HASH = '0'.repeat(HASH_LENGTH);

const PREV_PREFIX = '{"prev":"';
/** `{"prev":"<hash>",` */
const PREFIX_LENGTH = PREV_PREFIX.length + HASH_LENGTH + 2;
/** `,"h":"<hash>"}` */
const SUFFIX_LENGTH = 6 + HASH_LENGTH + 2;

const SEGMENT_NAME = /^audit-(\d{8})-(\d{8}T\d{6}Z)\.ndjson$/;

/** The header line's fields (besides `prev` and `h`). */
export interface SegmentHeader {
  gatehouse: 'audit-segment';
  v: 1;
  seq: number;
  created: number;
}

/** Hash of a line body (the line without its `,"h":...` suffix, closed with `}`). */
export function hashBody(body: string): string {
  return createHash('sha256').update(body).digest('base64url').slice(0, HASH_LENGTH);
}

/** A complete line (no newline) for `fields`, chained to `prev`; returns the line and its hash. */
export function encodeLine(fields: object, prev: string): { line: string; hash: string } {
  const json = JSON.stringify(fields);
  const body = `${PREV_PREFIX}${prev}",${json.slice(1)}`;
  const hash = hashBody(body);
  return { line: `${body.slice(0, -1)},"h":"${hash}"}`, hash };
}

/** The header line of segment `seq`. */
export function encodeHeader(seq: number, created: number, prev: string): { line: string; hash: string } {
  const header: SegmentHeader = { gatehouse: 'audit-segment', v: 1, seq, created };
  return encodeLine(header, prev);
}

/** The parts of a line needed to check the chain, or `undefined` if it does not have the frame. */
export function lineFrame(line: string): { prev: string; hash: string; body: string } | undefined {
  if (line.length < PREFIX_LENGTH + SUFFIX_LENGTH || !line.startsWith(PREV_PREFIX)) return undefined;
  const suffixAt = line.length - SUFFIX_LENGTH;
  if (!line.startsWith(',"h":"', suffixAt) || !line.endsWith('"}')) return undefined;
  return {
    prev: line.slice(PREV_PREFIX.length, PREV_PREFIX.length + HASH_LENGTH),
    hash: line.slice(suffixAt + 6, suffixAt + 6 + HASH_LENGTH),
    body: `${line.slice(0, suffixAt)}}`,
  };
}

/** The event's own JSON (without `prev` and `h`), cut out of a stored line without parsing it. */
export function eventJson(line: string): string {
  return `{${line.slice(PREFIX_LENGTH, line.length - SUFFIX_LENGTH)}}`;
}

const ARGS_MARKER = Buffer.from(',"args":');
const PREVIEW_MARKER = Buffer.from(',"preview":');

/**
 * Fast path for building the index: parses a stored line (as bytes, without its newline) only
 * up to its bulky trailing fields (`args`, `preview`), which the index does not need, and takes
 * its hash. `undefined` when the line is not a well-formed audit line.
 */
export function parseIndexFields(line: Buffer): { value: AuditEvent | SegmentHeader; hash: string } | undefined {
  const suffixAt = line.length - SUFFIX_LENGTH;
  if (suffixAt < PREFIX_LENGTH || line[0] !== 0x7b || line[suffixAt] !== 0x2c || line[line.length - 1] !== 0x7d) return undefined;
  // `,"args":` can only occur here as structure: inside a JSON string its quotes are escaped,
  // and no field before args is an object with free-form keys.
  let cut = line.indexOf(ARGS_MARKER, PREFIX_LENGTH);
  if (cut === -1 || cut > suffixAt) cut = line.indexOf(PREVIEW_MARKER, PREFIX_LENGTH);
  if (cut === -1 || cut > suffixAt) cut = suffixAt;
  try {
    const value = JSON.parse(`{${line.toString('utf8', PREFIX_LENGTH, cut)}}`) as AuditEvent | SegmentHeader;
    return { value, hash: line.toString('latin1', suffixAt + 6, suffixAt + 6 + HASH_LENGTH) };
  } catch {
    return undefined;
  }
}

/**
 * A stored line split for exports: the event without `args` and `preview` (parsed), and the raw
 * JSON text of `args` (as stored, so it need not be parsed and serialized again).
 */
export function splitStoredLine(line: string): { event: AuditEvent; argsJson: string | undefined } {
  const suffixAt = line.length - SUFFIX_LENGTH;
  const argsAt = line.indexOf(',"args":', PREFIX_LENGTH - 1);
  const previewAt = line.indexOf(',"preview":', argsAt === -1 ? PREFIX_LENGTH - 1 : argsAt);
  const headEnd = argsAt !== -1 ? argsAt : previewAt !== -1 ? previewAt : suffixAt;
  const event = JSON.parse(`{${line.slice(PREFIX_LENGTH, headEnd)}}`) as AuditEvent;
  let argsJson: string | undefined;
  if (argsAt !== -1) argsJson = line.slice(argsAt + 8, previewAt !== -1 ? previewAt : suffixAt);
  if (previewAt !== -1) event.preview = JSON.parse(line.slice(previewAt + 11, suffixAt)) as string;
  return { event, argsJson };
}

/** Parses a stored line into the event or header it holds (without `prev` and `h`). */
export function parseLine(line: string): AuditEvent | SegmentHeader {
  return JSON.parse(eventJson(line)) as AuditEvent | SegmentHeader;
}

/** Whether a parsed line is a segment header. */
export function isHeader(value: AuditEvent | SegmentHeader): value is SegmentHeader {
  return (value as SegmentHeader).gatehouse === 'audit-segment';
}

/** File name of segment `seq` created at `created`. */
export function segmentFileName(seq: number, created: number): string {
  const stamp = new Date(created).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return `audit-${String(seq).padStart(8, '0')}-${stamp}.ndjson`;
}

/** The sequence number in a segment file name, or `undefined` for any other file. */
export function segmentSeq(fileName: string): number | undefined {
  const match = SEGMENT_NAME.exec(fileName);
  return match ? Number(match[1]) : undefined;
}

/** The UTC day (`yyyy-mm-dd`) of a time: segments rotate when it changes. */
export function utcDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}
