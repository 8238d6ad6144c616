/**
 * The audit timeline's storage: append-only NDJSON segments under `<dataDir>/audit/`, an
 * in-memory index for queries, live subscriptions, exports and per-server figures.
 *
 * Threading and ordering: everything runs on the event loop. `record()` is synchronous; by the
 * time it returns, the event is in the segment file (page cache), in the index and delivered to
 * subscribers (unless `batchWrites` is set, see {@link AuditStoreOptions}). fsync runs on a
 * timer and on close, off the caller's path. Rotation happens inside `record()` (one small
 * synchronous file creation); retention runs afterwards on the event loop.
 */
import { mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Emitter } from '../base/emitter.js';
import type { IDisposable } from '../base/disposable.js';
import { errorMessage, nullLogger, type Logger } from '../base/logger.js';
import type { AuditEvent, AuditRecordInput } from './audit-event.js';
import { exportCsv, exportJsonl, type ExportFormat } from './audit-export.js';
import { AuditIndex, type RowLocation } from './audit-index.js';
import {
  compileRowFilter,
  decodeCursor,
  DEFAULT_LIMIT,
  encodeCursor,
  lineTextMatcher,
  MAX_LIMIT,
  type AuditFilter,
  type AuditPage,
  type AuditQuery,
} from './audit-query.js';
import { AuditStats, type ServerStats } from './audit-stats.js';
import { filteredStats } from './filtered-stats.js';
import { listSegmentFiles, verifyAuditDir, type VerifyReport } from './audit-verify.js';
import { readRows } from './line-reader.js';
import { prepareEvent, type PrepareLimits } from './prepare-event.js';
import { createRedactor, type Redactor } from './redact.js';
import { encodeHeader, encodeLine, eventJson, GENESIS_HASH, isHeader, lineFrame, parseIndexFields, segmentFileName, segmentSeq, utcDay } from './segment-format.js';
import { findLastHash, scanSegment } from './segment-reader.js';
import { SegmentWriter } from './segment-writer.js';

/** The folder of the audit segments inside the data directory. */
export function auditDir(dataDir: string): string {
  return path.join(dataDir, 'audit');
}

export const AUDIT_DEFAULTS = {
  maxSegmentBytes: 32 * 1024 * 1024,
  maxAgeMs: 30 * 86_400_000,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxArgsBytes: 8 * 1024,
  maxPreviewBytes: 512,
  fsyncIntervalMs: 200,
  retentionIntervalMs: 3_600_000,
} as const;

/** Options of {@link AuditStore.open}. Sizes in bytes, times in milliseconds. */
export interface AuditStoreOptions {
  /** The audit folder (see {@link auditDir}); created with mode 0700 unless `readOnly`. */
  dir: string;
  /** Open for queries, exports and verify only (the CLI): nothing is created, deleted or written. */
  readOnly?: boolean;
  /** A segment is closed and a new one started once it reaches this size (default 32 MiB, at most 1 GiB). */
  maxSegmentBytes?: number;
  /** Segments whose newest event is older than this are deleted (default 30 days). */
  maxAgeMs?: number;
  /** The oldest segments are deleted while all segments together are larger (default 1 GiB). */
  maxTotalBytes?: number;
  /** Redacted arguments larger than this (as JSON) are cut, with a marker (default 8 KiB). */
  maxArgsBytes?: number;
  /** Result previews are cut at this size (default 512 bytes). */
  maxPreviewBytes?: number;
  fsyncIntervalMs?: number;
  /** How often age-based retention runs besides at open and after each rotation (default 1 h). */
  retentionIntervalMs?: number;
  /** Redacts every event before it is written; the default knows only the key patterns. */
  redactor?: Redactor;
  /**
   * Write on the next turn of the event loop, many events per write, instead of inside
   * `record()`. Faster for bulk writers (the benchmark); an event recorded just before a
   * `kill -9` may then be lost. Off by default.
   */
  batchWrites?: boolean;
  now?: () => number;
  logger?: Logger;
}

interface Segment {
  seq: number;
  file: string;
  size: number;
  created: number;
  /** Newest event time (created when empty). */
  lastTime: number;
  /** Index rows in this segment. */
  rows: number;
}

interface Current {
  segment: Segment;
  writer: SegmentWriter;
  day: string;
}

/**
 * The audit store. Open with {@link AuditStore.open}; `close()` when done (it flushes and syncs).
 */
export class AuditStore implements IDisposable {
  readonly #opts: Required<Omit<AuditStoreOptions, 'redactor' | 'logger' | 'now'>>;
  readonly #redactor: Redactor;
  readonly #prepareLimits: PrepareLimits;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #index = new AuditIndex();
  readonly #stats = new AuditStats();
  readonly #segments: Segment[] = [];
  readonly #onDidRecord: Emitter<AuditEvent>;
  readonly #warnings: string[] = [];
  #current: Current | undefined;
  #lastHash = GENESIS_HASH;
  #nextSeq = 1;
  #queue: AuditEvent[] = [];
  #queueScheduled = false;
  #timers: NodeJS.Timeout[] = [];
  #retention: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #dropped = 0;
  #loading = false;
  /** Where the newest event is (written by this store, or the last one indexed at open). */
  #lastWritten: RowLocation | undefined;
  /** Segments from this seq on were created by this store. */
  #firstNewSeq = 1;
  /** The scan of the segments found at open (`ready` also waits for the first retention). */
  #loaded: Promise<void> = Promise.resolve();
  #pendingRows: { event: AuditEvent; seq: number; offset: number; length: number }[] = [];

  private constructor(opts: AuditStoreOptions) {
    this.#opts = {
      dir: opts.dir,
      readOnly: opts.readOnly ?? false,
      maxSegmentBytes: Math.min(opts.maxSegmentBytes ?? AUDIT_DEFAULTS.maxSegmentBytes, 1024 * 1024 * 1024),
      maxAgeMs: opts.maxAgeMs ?? AUDIT_DEFAULTS.maxAgeMs,
      maxTotalBytes: opts.maxTotalBytes ?? AUDIT_DEFAULTS.maxTotalBytes,
      maxArgsBytes: opts.maxArgsBytes ?? AUDIT_DEFAULTS.maxArgsBytes,
      maxPreviewBytes: opts.maxPreviewBytes ?? AUDIT_DEFAULTS.maxPreviewBytes,
      fsyncIntervalMs: opts.fsyncIntervalMs ?? AUDIT_DEFAULTS.fsyncIntervalMs,
      retentionIntervalMs: opts.retentionIntervalMs ?? AUDIT_DEFAULTS.retentionIntervalMs,
      batchWrites: opts.batchWrites ?? false,
    };
    this.#redactor = opts.redactor ?? createRedactor();
    this.#now = opts.now ?? Date.now;
    this.#prepareLimits = { now: this.#now, maxArgsBytes: this.#opts.maxArgsBytes, maxPreviewBytes: this.#opts.maxPreviewBytes };
    this.#logger = opts.logger ?? nullLogger;
    this.#onDidRecord = new Emitter((error) => this.#logger.error('audit subscriber failed', { error: errorMessage(error) }));
  }

  /**
   * Opens the store. Resolves once it can take `record()` calls: the segments are listed and
   * the hash to continue the chain from is read from the end of the newest one. The index and
   * the figures are then built in the background by scanning every segment (a torn or
   * unreadable line is skipped and reported in {@link warnings}, never fatal), and retention
   * runs after that. {@link ready} settles when the scan is done; `query()`, `export()` and
   * `verify()` wait for it, while `stats()`, `metrics()` and `size` count what is loaded so far.
   * Nothing is written until the first `record()`, which starts a new segment.
   */
  static async open(opts: AuditStoreOptions): Promise<AuditStore> {
    const store = new AuditStore(opts);
    if (!store.#opts.readOnly) await mkdir(opts.dir, { recursive: true, mode: 0o700 });
    const names = await listSegmentFiles(opts.dir);
    for (const name of names) {
      const seq = segmentSeq(name)!;
      store.#segments.push({ seq, file: path.join(opts.dir, name), size: 0, created: 0, lastTime: 0, rows: 0 });
      store.#nextSeq = seq + 1;
    }
    store.#firstNewSeq = store.#nextSeq;
    store.#lastHash = (await findLastHash(store.#segments.map((s) => s.file), (line) => lineFrame(line)?.hash)) ?? GENESIS_HASH;
    store.#loading = true;
    store.#loaded = store.#load();
    store.#loaded.catch(() => {});
    store.ready = store.#loaded.then(async () => {
      if (!store.#opts.readOnly && !store.#closing) {
        await store.enforceRetention();
        store.#startTimers();
      }
    });
    // Failures are reported through `ready`; keep them from being unhandled in the meantime.
    store.ready.catch(() => {});
    return store;
  }

  /** Settles once the segments on disk are indexed (see {@link open}). */
  ready: Promise<void> = Promise.resolve();

  /** Problems found while opening (torn last lines, unreadable lines). */
  get warnings(): readonly string[] {
    return this.#warnings;
  }

  /** Events currently stored (and indexed). */
  get size(): number {
    this.#drainQueue();
    return this.#index.size;
  }

  /** Events that could not be written (disk full, permissions); each is also logged. */
  get droppedEvents(): number {
    return this.#dropped;
  }

  /** The audit folder. */
  get dir(): string {
    return this.#opts.dir;
  }

  /** Fires with each event once it is stored (redacted, as on disk). */
  readonly onDidRecord = (listener: (event: AuditEvent) => void): IDisposable => this.#onDidRecord.event(listener);

  /** Same as {@link onDidRecord}: live delivery of new events. Dispose the result to stop. */
  subscribe(listener: (event: AuditEvent) => void): IDisposable {
    return this.#onDidRecord.event(listener);
  }

  /**
   * Records one event: fills in `id` and `time`, redacts, truncates, and appends it. Cheap and
   * synchronous; it never throws for I/O (a failed write is logged and counted in
   * {@link droppedEvents}). Returns the event as stored, or `undefined` once the store is closing.
   */
  record(input: AuditRecordInput): AuditEvent | undefined {
    if (this.#opts.readOnly) throw new Error('the audit store is open read-only');
    if (this.#closing) return undefined;
    const event = prepareEvent(input, this.#redactor.current(), this.#prepareLimits);
    if (this.#opts.batchWrites) {
      this.#queue.push(event);
      if (!this.#queueScheduled) {
        this.#queueScheduled = true;
        setImmediate(() => this.#drainQueue());
      }
    } else {
      this.#append(event);
    }
    return event;
  }

  /** Writes anything queued and fsyncs the current segment. */
  async flush(): Promise<void> {
    this.#drainQueue();
    await this.#current?.writer.sync();
  }

  /** Flushes, syncs and closes the current segment, stops the timers. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#closeInner();
    return this.#closing;
  }

  dispose(): void {
    void this.close();
  }

  async #closeInner(): Promise<void> {
    try {
      this.#drainQueue();
      for (const timer of this.#timers) clearInterval(timer);
      this.#timers = [];
      await this.#retention;
    } finally {
      const current = this.#current;
      this.#current = undefined;
      this.#onDidRecord.dispose();
      await current?.writer.close();
    }
  }

  // --- queries -------------------------------------------------------------------------------

  /** A page of events matching `query`, newest first. */
  async query(query: AuditQuery = {}): Promise<AuditPage> {
    await this.ready;
    this.#drainQueue();
    const limit = Math.min(Math.max(1, Math.floor(query.limit ?? DEFAULT_LIMIT)), MAX_LIMIT);
    const match = compileRowFilter(this.#index, query);
    const index = this.#index;
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && cursor === undefined) throw new Error('invalid cursor');
    // Rows are addressed by location, not position: retention may drop rows while we await.
    let bound: { seq: number; offset: number } | undefined = cursor;
    const positionBelow = (): number => (bound ? this.#index.lowerBound(bound.seq, bound.offset) : this.#index.size);

    if (query.text === undefined) {
      const found: RowLocation[] = [];
      for (let row = positionBelow() - 1; row >= 0 && found.length <= limit; row--) {
        if (match(row)) found.push(index.location(row));
      }
      const page = found.slice(0, limit);
      const lines = await readRows(page, (seq) => this.#fileOf(seq));
      const items = lines.flatMap((line) => (line === undefined ? [] : [parseEvent(line)]));
      return { items, nextCursor: found.length > limit ? encodeCursor(page[page.length - 1]!) : null };
    }

    const matchesText = lineTextMatcher(query.text);
    const items: AuditEvent[] = [];
    let last: RowLocation | undefined;
    let batch = 256;
    let more = true;
    while (items.length < limit) {
      const candidates: RowLocation[] = [];
      let row = positionBelow() - 1;
      for (; row >= 0 && candidates.length < batch; row--) {
        if (match(row)) candidates.push(index.location(row));
      }
      if (row < 0) more = false;
      if (candidates.length === 0) break;
      bound = candidates[candidates.length - 1]!;
      const lines = await readRows(candidates, (seq) => this.#fileOf(seq));
      for (let i = 0; i < lines.length && items.length < limit; i++) {
        const line = lines[i];
        if (line === undefined || !matchesText(line, parseEvent)) continue;
        items.push(parseEvent(line));
        last = candidates[i]!;
        if (items.length === limit && i < lines.length - 1) more = true;
      }
      if (!more) break;
      batch = Math.min(batch * 4, 16_384);
    }
    // With a text filter, "more" means rows remain to be searched; the next page may be empty.
    return { items, nextCursor: items.length === limit && more && last ? encodeCursor(last) : null };
  }

  /**
   * Streams every event matching `filter` (no pagination), oldest first, as JSONL or CSV text
   * chunks. Events recorded after the export started are not included.
   */
  export(filter: AuditFilter, format: ExportFormat): AsyncGenerator<string> {
    // The snapshot is taken now, not when the caller starts reading.
    this.#drainQueue();
    // Nothing written by this store yet: the end is the last event on disk at open.
    const last = this.#lastWritten ?? 'opened';
    const batches = this.#matchingBatches(filter, last);
    return format === 'csv' ? exportCsv(batches) : exportJsonl(batches);
  }

  async *#matchingBatches(filter: AuditFilter, until: RowLocation | 'opened'): AsyncGenerator<string[]> {
    await this.ready;
    const index = this.#index;
    const lastAtOpen = index.lowerBound(this.#firstNewSeq, 0) - 1;
    if (until === 'opened' && lastAtOpen < 0) return;
    const end = until === 'opened' ? index.location(lastAtOpen) : until;
    if (index.size === 0) return;
    const match = compileRowFilter(index, filter);
    const matchesText = filter.text === undefined ? undefined : lineTextMatcher(filter.text);
    let from = index.location(0);
    let inclusive = true;
    for (;;) {
      const rows: RowLocation[] = [];
      let scanned = 0;
      let row = index.lowerBound(from.seq, from.offset + (inclusive ? 0 : 1));
      let reachedEnd = false;
      for (; row < index.size && rows.length < 8192 && scanned < 262_144; row++, scanned++) {
        const seq = index.seq[row]!;
        const offset = index.offset[row]!;
        if (seq > end.seq || (seq === end.seq && offset > end.offset)) {
          reachedEnd = true;
          break;
        }
        if (match(row)) rows.push(index.location(row));
        from = { seq, offset, length: 0 };
      }
      inclusive = false;
      if (row >= index.size) reachedEnd = true;
      if (rows.length > 0) {
        const lines = await readRows(rows, (seq) => this.#fileOf(seq));
        const out: string[] = [];
        for (const line of lines) {
          if (line === undefined) continue;
          if (matchesText && !matchesText(line, parseEvent)) continue;
          out.push(line);
        }
        yield out;
      }
      if (reachedEnd) return;
    }
  }

  /** Per-server figures (see {@link AuditStats}). */
  stats(): ServerStats[] {
    this.#drainQueue();
    return this.#stats.snapshot();
  }

  /** {@link stats} over the request events `filter` matches, with each server's latest failure (see `filtered-stats.ts`). */
  async statsFor(filter: AuditFilter): Promise<ServerStats[]> {
    await this.ready;
    this.#drainQueue();
    return filteredStats(this.#index, filter, { read: (rows) => readRows(rows, (seq) => this.#fileOf(seq)), parse: parseEvent });
  }

  /** The figures in Prometheus text format. */
  metrics(): string {
    this.#drainQueue();
    return this.#stats.renderPrometheus();
  }

  /**
   * Checks the hash chain of every segment (see {@link verifyAuditDir}). A running store also
   * knows the hash of the last line it wrote, so removing the newest lines is caught too.
   */
  async verify(): Promise<VerifyReport> {
    await this.ready;
    await this.flush();
    const expectedLast = this.#current ? this.#lastHash : undefined;
    const report = await verifyAuditDir(this.#opts.dir);
    if (report.ok && expectedLast !== undefined && report.lastHash !== expectedLast) {
      const file = path.basename(this.#current!.segment.file);
      report.ok = false;
      report.break = { file, line: 0, reason: 'the newest lines written by this gateway are missing or altered' };
    }
    return report;
  }

  /**
   * Deletes the oldest segments while they are older than `maxAgeMs` or the total is above
   * `maxTotalBytes`. The segment being written is never deleted, so the total can exceed the
   * limit by up to one segment.
   */
  enforceRetention(): Promise<void> {
    const run = async (): Promise<void> => {
      // The index must hold every row of a segment before its rows can be dropped.
      await this.#loaded;
      const cutoff = this.#now() - this.#opts.maxAgeMs;
      let total = this.#segments.reduce((sum, s) => sum + s.size, 0);
      const doomed: Segment[] = [];
      for (const segment of this.#segments) {
        if (segment === this.#current?.segment) break;
        if (segment.lastTime >= cutoff && total <= this.#opts.maxTotalBytes) break;
        doomed.push(segment);
        total -= segment.size;
      }
      if (doomed.length === 0) return;
      // Index first, then the files: a query running meanwhile skips rows whose file is gone.
      this.#segments.splice(0, doomed.length);
      this.#index.dropFront(doomed.reduce((sum, s) => sum + s.rows, 0));
      for (const segment of doomed) {
        try {
          await unlink(segment.file);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
            this.#logger.warn('cannot delete an old audit segment', { file: segment.file, error: errorMessage(error) });
          }
        }
      }
      this.#logger.info('audit retention removed segments', { count: doomed.length });
    };
    this.#retention = this.#retention.then(run, run);
    return this.#retention;
  }

  // --- internals -----------------------------------------------------------------------------

  async #load(): Promise<void> {
    // Only the segments listed at open: any newer one is being written by this store.
    const existing = [...this.#segments];
    try {
      for (const segment of existing) {
        const name = path.basename(segment.file);
        let scan;
        try {
          scan = await scanSegment(segment.file, (buf, start, end, offset, lineNo) => {
            const parsed = parseIndexFields(buf.subarray(start, end));
            if (parsed === undefined) {
              this.#warnings.push(`${name}: line ${lineNo} is not a readable audit line; skipped`);
              return;
            }
            const { value } = parsed;
            if (isHeader(value)) {
              segment.created = value.created;
              segment.lastTime = Math.max(segment.lastTime, value.created);
              return;
            }
            this.#index.add(value, segment.seq, offset, end - start);
            this.#stats.observe(value);
            segment.rows++;
            segment.lastTime = Math.max(segment.lastTime, value.time);
          });
        } catch (error) {
          // Deleted meanwhile (by hand: retention waits for the load): nothing to index.
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw error;
        }
        segment.size = scan.size;
        if (scan.torn) {
          this.#warnings.push(`${name}: line ${scan.torn.line} is incomplete (a write cut short by a crash); skipped`);
        }
      }
    } finally {
      // Events recorded while the old segments were scanned come after them in the index.
      this.#loading = false;
      for (const row of this.#pendingRows.splice(0)) {
        this.#index.add(row.event, row.seq, row.offset, row.length);
        this.#stats.observe(row.event);
      }
    }
    for (const warning of this.#warnings) this.#logger.warn('audit segment', { warning });
  }

  #drainQueue(): void {
    this.#queueScheduled = false;
    if (this.#queue.length === 0) return;
    const queue = this.#queue;
    this.#queue = [];
    for (const event of queue) this.#append(event);
  }

  #append(event: AuditEvent): void {
    const now = this.#now();
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const current = this.#currentFor(now);
        const { line, hash } = encodeLine(event, this.#lastHash);
        const bytes = Buffer.from(line + '\n', 'utf8');
        const offset = current.writer.size;
        current.writer.write(bytes);
        this.#lastWritten = { seq: current.segment.seq, offset, length: bytes.length - 1 };
        current.segment.size = current.writer.size;
        this.#lastHash = hash;
        if (this.#loading) {
          this.#pendingRows.push({ event, seq: current.segment.seq, offset, length: bytes.length - 1 });
        } else {
          this.#index.add(event, current.segment.seq, offset, bytes.length - 1);
          this.#stats.observe(event);
        }
        current.segment.rows++;
        current.segment.lastTime = Math.max(current.segment.lastTime, event.time);
        this.#onDidRecord.fire(event);
        return;
      } catch (error) {
        // The file may now end in a torn line: abandon it; the next segment's header anchors
        // the chain to the last line that was written whole.
        this.#logger.error('audit write failed', { error: errorMessage(error), attempt: attempt + 1 });
        this.#current?.writer.abandon();
        this.#current = undefined;
      }
    }
    this.#dropped++;
  }

  /** The segment to write to at `now`, rotating by size and by UTC day. */
  #currentFor(now: number): Current {
    const current = this.#current;
    const day = utcDay(now);
    if (current && current.writer.size < this.#opts.maxSegmentBytes && current.day === day) return current;
    if (current) {
      void current.writer.close().catch((error: unknown) => this.#logger.warn('audit segment close failed', { error: errorMessage(error) }));
      this.#current = undefined;
      // Off the caller's path: retention looks at the segment just closed on a later turn.
      setImmediate(() => void this.enforceRetention());
    }
    const seq = this.#nextSeq++;
    const file = path.join(this.#opts.dir, segmentFileName(seq, now));
    const writer = SegmentWriter.create(file);
    const segment: Segment = { seq, file, size: 0, created: now, lastTime: now, rows: 0 };
    const header = encodeHeader(seq, now, this.#lastHash);
    try {
      writer.write(Buffer.from(header.line + '\n', 'utf8'));
    } catch (error) {
      writer.abandon();
      throw error;
    }
    segment.size = writer.size;
    this.#lastHash = header.hash;
    this.#segments.push(segment);
    this.#current = { segment, writer, day };
    return this.#current;
  }

  #fileOf(seq: number): string | undefined {
    // Segments are few (tens); a linear scan from the newest end is fine.
    for (let i = this.#segments.length - 1; i >= 0; i--) {
      const segment = this.#segments[i]!;
      if (segment.seq === seq) return segment.file;
      if (segment.seq < seq) return undefined;
    }
    return undefined;
  }

  #startTimers(): void {
    const fsync = setInterval(() => {
      this.#current?.writer.sync().catch((error: unknown) => this.#logger.warn('audit fsync failed', { error: errorMessage(error) }));
    }, this.#opts.fsyncIntervalMs);
    const retention = setInterval(() => void this.enforceRetention(), this.#opts.retentionIntervalMs);
    fsync.unref();
    retention.unref();
    this.#timers.push(fsync, retention);
  }
}

function parseEvent(line: string): AuditEvent {
  return JSON.parse(eventJson(line)) as AuditEvent;
}
