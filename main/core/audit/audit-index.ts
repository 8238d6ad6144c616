/**
 * The in-memory index of every stored event: one row per event, in write order, held in typed
 * arrays (about 45 bytes per event, so 45 MB for a million). Strings are interned: a row holds
 * small ids, and a filter becomes a lookup in a byte mask over the (short) table of distinct
 * values. The events themselves stay on disk; a row says where (segment seq, byte offset, length).
 */
import { AUDIT_KINDS, AUDIT_OUTCOMES, type AuditEvent } from './audit-event.js';

/** Distinct strings of one column; id 0 means "absent". */
export class InternTable {
  readonly #ids = new Map<string, number>();
  readonly values: (string | undefined)[] = [undefined];

  id(value: string | undefined): number {
    if (value === undefined) return 0;
    let id = this.#ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.#ids.set(value, id);
    }
    return id;
  }

  /** A mask over ids: 1 where `test(value)` holds. */
  mask(test: (value: string) => boolean): Uint8Array {
    const mask = new Uint8Array(this.values.length);
    for (let i = 1; i < this.values.length; i++) if (test(this.values[i]!)) mask[i] = 1;
    return mask;
  }
}

/** Where a row's line lives. */
export interface RowLocation {
  seq: number;
  offset: number;
  length: number;
}

const OUTCOME_IDS = new Map<string, number>(AUDIT_OUTCOMES.map((o, i) => [o, i + 1]));
const KIND_IDS = new Map<string, number>(AUDIT_KINDS.map((k, i) => [k, i + 1]));

/** Typed-array rows for every event on disk, oldest first. */
export class AuditIndex {
  readonly servers = new InternTable();
  readonly methods = new InternTable();
  readonly targets = new InternTable();
  /** Token names and client names share one table: the `client` filter matches either. */
  readonly clients = new InternTable();
  #length = 0;
  #capacity = 0;
  time = new Float64Array(0);
  seq = new Uint32Array(0);
  offset = new Uint32Array(0);
  length = new Uint32Array(0);
  server = new Uint32Array(0);
  method = new Uint32Array(0);
  target = new Uint32Array(0);
  token = new Uint32Array(0);
  clientName = new Uint32Array(0);
  outcome = new Uint8Array(0);
  kind = new Uint8Array(0);
  /** NaN when the event has no duration. */
  duration = new Float32Array(0);

  /** Number of rows. */
  get size(): number {
    return this.#length;
  }

  /** Adds the row of `event`, stored at `offset`/`length` in segment `seq`. */
  add(event: AuditEvent, seq: number, offset: number, length: number): void {
    if (this.#length === this.#capacity) this.#grow();
    const i = this.#length++;
    this.time[i] = event.time;
    this.seq[i] = seq;
    this.offset[i] = offset;
    this.length[i] = length;
    this.server[i] = this.servers.id(event.server);
    this.method[i] = this.methods.id(event.method);
    this.target[i] = this.targets.id(event.target);
    this.token[i] = this.clients.id(event.client?.tokenName);
    this.clientName[i] = this.clients.id(event.client?.name);
    this.outcome[i] = event.outcome ? (OUTCOME_IDS.get(event.outcome) ?? 0) : 0;
    this.kind[i] = KIND_IDS.get(event.kind) ?? 0;
    this.duration[i] = typeof event.durationMs === 'number' ? event.durationMs : Number.NaN;
  }

  /** Row `i`'s location on disk. */
  location(i: number): RowLocation {
    return { seq: this.seq[i]!, offset: this.offset[i]!, length: this.length[i]! };
  }

  /** Drops the first `count` rows (their segments were deleted by retention). */
  dropFront(count: number): void {
    if (count <= 0) return;
    const n = Math.min(count, this.#length);
    for (const column of this.#columns()) column.copyWithin(0, n, this.#length);
    this.#length -= n;
  }

  /**
   * The first row at or after (`seq`, `offset`), by binary search (rows are in write order, so
   * (seq, offset) increases); `size` when every row is before it.
   */
  lowerBound(seq: number, offset: number): number {
    let lo = 0;
    let hi = this.#length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.seq[mid]!;
      if (s < seq || (s === seq && this.offset[mid]! < offset)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  static outcomeId(outcome: string): number | undefined {
    return OUTCOME_IDS.get(outcome);
  }

  static kindId(kind: string): number | undefined {
    return KIND_IDS.get(kind);
  }

  static outcomeName(id: number): string | undefined {
    return id === 0 ? undefined : AUDIT_OUTCOMES[id - 1];
  }

  #columns(): (Float64Array | Uint32Array | Uint8Array | Float32Array)[] {
    return [this.time, this.seq, this.offset, this.length, this.server, this.method, this.target, this.token, this.clientName, this.outcome, this.kind, this.duration];
  }

  #grow(): void {
    const capacity = Math.max(1024, this.#capacity * 2);
    const grow = <T extends Float64Array | Uint32Array | Uint8Array | Float32Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old.subarray(0, this.#length));
      return next;
    };
    this.time = grow(this.time, (n) => new Float64Array(n));
    this.seq = grow(this.seq, (n) => new Uint32Array(n));
    this.offset = grow(this.offset, (n) => new Uint32Array(n));
    this.length = grow(this.length, (n) => new Uint32Array(n));
    this.server = grow(this.server, (n) => new Uint32Array(n));
    this.method = grow(this.method, (n) => new Uint32Array(n));
    this.target = grow(this.target, (n) => new Uint32Array(n));
    this.token = grow(this.token, (n) => new Uint32Array(n));
    this.clientName = grow(this.clientName, (n) => new Uint32Array(n));
    this.outcome = grow(this.outcome, (n) => new Uint8Array(n));
    this.kind = grow(this.kind, (n) => new Uint8Array(n));
    this.duration = grow(this.duration, (n) => new Float32Array(n));
    this.#capacity = capacity;
  }
}
