/**
 * Reversible, collision-free namespacing of the tool and prompt names that the aggregate
 * endpoint exposes as `<server>__<name>`.
 *
 * Clients such as Claude Code and Codex prefix `mcp__<entry>__` to every tool and cap the result
 * at 64 characters, and many accept only `^[a-zA-Z0-9_-]{1,64}$`. So an exposed name is the
 * natural `<server>__<name>` when that fits `maxLength` and uses only `[A-Za-z0-9_-]`; otherwise
 * it is shortened to `<server prefix>__<name prefix>_<hash>`, where disallowed characters become
 * `_` and `<hash>` is the base36 sha256 of the exact (server, name) pair (6 characters, longer
 * only on a collision). The first `__` in a shortened name ends the server prefix (unless the
 * server name is only underscores), so a user can still tell which server a tool comes from.
 *
 * Exposed names are derived only from the set of (server, name) pairs, never from the order in
 * which servers were added, so they are stable across restarts and can be kept in client
 * permission lists. Collisions are settled deterministically:
 * 1. A natural name that fits always wins over a shortened one (`a_b` keeps `srv__a_b`; `a.b`
 *    on the same server is hashed whatever else exists).
 * 2. Two natural names can only coincide when a server name ends in `_` or a tool name starts
 *    with `_` (`a_` + `x` and `a` + `_x` both give `a___x`). The pair that the first `__` splits
 *    back correctly (`a`, `_x`) keeps it; the other is shortened with reason `'collision'`.
 * 3. Shortened names are assigned in (server, name) order, comparing UTF-16 code units; when a
 *    candidate is taken, the hash is lengthened one character at a time, so on a hash collision
 *    the later-sorted pair gets the longer hash.
 *
 * Reverse lookup always goes through the table: an exposed name is never parsed.
 *
 * Stability contract: the hash input is the UTF-8 encoding of `JSON.stringify([server, name])`
 * and a hash of length k is the last k base36 digits of the sha256 digest (that is, the digest
 * modulo 36^k, zero-padded). Changing this renames shortened tools for every user.
 */
import { createHash } from 'node:crypto';

import { NAMESPACE_SEPARATOR } from '../../../shared/server-config.js';

/** Default cap on exposed names: 64 minus room for a client prefix such as `mcp__gatehouse__`. */
export const DEFAULT_MAX_EXPOSED_NAME_LENGTH = 47;
/** Smallest accepted `maxLength`: below it a shortened name has no room left for the names. */
export const MIN_MAX_EXPOSED_NAME_LENGTH = 16;
/** Largest accepted `maxLength`: the common client cap on tool names. */
export const MAX_MAX_EXPOSED_NAME_LENGTH = 64;
/** Every exposed name matches this, whatever `maxLength` is. */
export const EXPOSED_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Length of the hash suffix in a shortened name before any collision lengthens it. */
export const HASH_LENGTH = 6;

/**
 * Why a name was shortened. `'invalid-characters'` is reported when the natural name both has
 * disallowed characters and is too long.
 */
export type ShortenReason = 'too-long' | 'invalid-characters' | 'collision';

/** Options of a {@link NameTable}. */
export interface NameTableOptions {
  /** Longest exposed name, between 16 and 64. Default 47. */
  maxLength?: number;
}

/** One backend's names, as given to {@link NameTable.build}. */
export interface ServerNames {
  server: string;
  names: readonly string[];
}

/** A backend's own name for a tool or prompt, found from its exposed name. */
export interface NameRef {
  server: string;
  name: string;
}

/** How one of a server's names is exposed; see {@link NameTable.namesFor}. */
export interface ExposedNameInfo {
  name: string;
  exposed: string;
  shortened: boolean;
  /** Present exactly when `shortened` is true. */
  reason?: ShortenReason;
}

/** One name that could not be exposed naturally; see {@link NameTable.shortened}. */
export interface ShortenedName {
  server: string;
  name: string;
  exposed: string;
  reason: ShortenReason;
}

const ALLOWED_NAME = /^[A-Za-z0-9_-]+$/;
const DISALLOWED_CHAR = /[^A-Za-z0-9_-]/u;
const BASE36_DIGITS_OF_SHA256 = 49; // 36^49 < 2^256 < 36^50
const HASH_SEPARATOR = '_';

interface PairKey {
  server: string;
  name: string;
}

/** Orders by UTF-16 code units, never by locale, so the order is the same on every machine. */
function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function comparePairs(a: PairKey, b: PairKey): number {
  return compareStrings(a.server, b.server) || compareStrings(a.name, b.name);
}

/** Replaces each disallowed code point (also lone surrogates and astral characters) by `_`. */
function sanitize(value: string): string {
  let out = '';
  for (const char of value) {
    out += DISALLOWED_CHAR.test(char) ? '_' : char;
  }
  return out;
}

function trimTrailingUnderscores(value: string): string {
  const trimmed = value.replace(/_+$/, '');
  return trimmed.length > 0 ? trimmed : value;
}

/**
 * The server part of a shortened name: sanitized, with runs of `_` collapsed and trailing `_`
 * removed, so that the separator after it is the first `__` in the exposed name.
 */
function serverPrefix(server: string): string {
  return trimTrailingUnderscores(sanitize(server).replace(/_{2,}/g, '_'));
}

/** Base36 digits of sha256 over the exact pair; hashes of length k are the last k digits. */
function pairDigest(server: string, name: string): string {
  const hex = createHash('sha256').update(JSON.stringify([server, name]), 'utf8').digest('hex');
  const value = BigInt(`0x${hex}`) % 36n ** BigInt(BASE36_DIGITS_OF_SHA256);
  return value.toString(36).padStart(BASE36_DIGITS_OF_SHA256, '0');
}

/**
 * Composes `<server prefix>__<name prefix>_<hash>` within `maxLength`. The server prefix keeps
 * its full length when it is short and otherwise gets about half the room; the name gets the
 * rest. Returns undefined when `hash` leaves no room for even one server character.
 */
function composeShortened(
  server: string,
  name: string,
  hash: string,
  maxLength: number,
): string | undefined {
  const room = maxLength - NAMESPACE_SEPARATOR.length - HASH_SEPARATOR.length - hash.length;
  if (room < 1) return undefined;
  const fullServer = serverPrefix(server);
  const fullName = sanitize(name);
  const serverShare = Math.max(1, Math.floor(room / 2));
  const serverLength = Math.min(fullServer.length, Math.max(serverShare, room - fullName.length));
  const serverPart = trimTrailingUnderscores(fullServer.slice(0, serverLength));
  const namePart = fullName.slice(0, room - serverPart.length).replace(/_+$/, '');
  return `${serverPart}${NAMESPACE_SEPARATOR}${namePart}${HASH_SEPARATOR}${hash}`;
}

function naturalName(server: string, name: string): string {
  return `${server}${NAMESPACE_SEPARATOR}${name}`;
}

/** True when splitting `natural` at its first `__` gives back exactly (server, name). */
function splitsBack(server: string, natural: string): boolean {
  return natural.indexOf(NAMESPACE_SEPARATOR) === server.length;
}

function infoEquals(a: ExposedNameInfo | undefined, b: ExposedNameInfo | undefined): boolean {
  return a?.exposed === b?.exposed && a?.reason === b?.reason;
}

/**
 * The two-way map between backend (server, name) pairs and the names the aggregate endpoint
 * exposes. Keep one table per name kind (tools, prompts): they are separate MCP namespaces.
 *
 * Every update recomputes the mapping from the whole set of pairs, so {@link setServer} and
 * {@link removeServer} give exactly what {@link build} would give for the same final set, and
 * other servers' names only change when a collision involves them. Every method is
 * synchronous, so readers on the event loop never see a half-updated table.
 */
export class NameTable {
  readonly #maxLength: number;
  /** server → names in first-seen order (duplicates dropped). */
  #names = new Map<string, string[]>();
  /** server → name → exposure. */
  #forward = new Map<string, Map<string, ExposedNameInfo>>();
  /** exposed → pair. */
  #reverse = new Map<string, NameRef>();

  /** @throws RangeError when `maxLength` is not an integer between 16 and 64. */
  constructor(options: Readonly<NameTableOptions> = {}) {
    const maxLength = options.maxLength ?? DEFAULT_MAX_EXPOSED_NAME_LENGTH;
    if (
      !Number.isInteger(maxLength) ||
      maxLength < MIN_MAX_EXPOSED_NAME_LENGTH ||
      maxLength > MAX_MAX_EXPOSED_NAME_LENGTH
    ) {
      throw new RangeError(
        `maxLength must be an integer between ${MIN_MAX_EXPOSED_NAME_LENGTH} and ` +
          `${MAX_MAX_EXPOSED_NAME_LENGTH}, got ${String(maxLength)}`,
      );
    }
    this.#maxLength = maxLength;
  }

  /** The longest exposed name this table produces. */
  get maxLength(): number {
    return this.#maxLength;
  }

  /**
   * Replaces the whole table. Entries with the same server are merged; duplicate names are
   * ignored. Servers with no names are kept (with no names), so {@link servers} lists them.
   *
   * @returns the servers whose exposed names changed, sorted.
   */
  build(entries: readonly ServerNames[]): string[] {
    const next = new Map<string, string[]>();
    for (const entry of entries) {
      const names = next.get(entry.server) ?? [];
      next.set(entry.server, names);
      for (const name of entry.names) {
        if (!names.includes(name)) names.push(name);
      }
    }
    return this.#apply(next);
  }

  /**
   * Sets one server's names, replacing any it had, and leaves the others in place.
   *
   * @returns the servers whose exposed names changed, sorted: usually just `server`, more only
   * when its names collide with another server's.
   */
  setServer(server: string, names: readonly string[]): string[] {
    const next = new Map(this.#names);
    next.set(server, [...new Set(names)]);
    return this.#apply(next);
  }

  /**
   * Removes a server and its names.
   *
   * @returns the servers whose exposed names changed, sorted (empty when `server` was unknown).
   */
  removeServer(server: string): string[] {
    if (!this.#names.has(server)) return [];
    const next = new Map(this.#names);
    next.delete(server);
    return this.#apply(next);
  }

  /** The pair behind an exposed name, by exact lookup; `undefined` when the table lacks it. */
  resolve(exposed: string): NameRef | undefined {
    const ref = this.#reverse.get(exposed);
    return ref === undefined ? undefined : { ...ref };
  }

  /** The exposed name of one of a server's names; `undefined` when the table lacks the pair. */
  exposedName(server: string, name: string): string | undefined {
    return this.#forward.get(server)?.get(name)?.exposed;
  }

  /** How each of a server's names is exposed, in the order the names were given. */
  namesFor(server: string): ExposedNameInfo[] {
    const infos = this.#forward.get(server);
    const names = this.#names.get(server) ?? [];
    return names.flatMap((name) => {
      const info = infos?.get(name);
      return info === undefined ? [] : [{ ...info }];
    });
  }

  /** Every name that is not exposed naturally, sorted by server then name, for reporting. */
  shortened(): ShortenedName[] {
    const out: ShortenedName[] = [];
    for (const server of this.servers()) {
      for (const info of this.namesFor(server)) {
        if (info.reason !== undefined) {
          out.push({ server, name: info.name, exposed: info.exposed, reason: info.reason });
        }
      }
    }
    return out.sort(comparePairs);
  }

  /** The servers in the table, sorted. */
  servers(): string[] {
    return [...this.#names.keys()].sort(compareStrings);
  }

  /** Number of (server, name) pairs in the table. */
  get size(): number {
    return this.#reverse.size;
  }

  #apply(next: Map<string, string[]>): string[] {
    const forward = computeExposure(next, this.#maxLength);
    const reverse = new Map<string, NameRef>();
    for (const [server, infos] of forward) {
      for (const [name, info] of infos) reverse.set(info.exposed, { server, name });
    }

    const changed: string[] = [];
    for (const server of new Set([...this.#forward.keys(), ...forward.keys()])) {
      const before = this.#forward.get(server) ?? new Map<string, ExposedNameInfo>();
      const after = forward.get(server) ?? new Map<string, ExposedNameInfo>();
      const differs =
        before.size !== after.size ||
        [...after].some(([name, info]) => !infoEquals(before.get(name), info));
      if (differs) changed.push(server);
    }

    this.#names = next;
    this.#forward = forward;
    this.#reverse = reverse;
    return changed.sort(compareStrings);
  }
}

/** The whole mapping for a set of pairs; see the module comment for the collision rules. */
function computeExposure(
  names: ReadonlyMap<string, readonly string[]>,
  maxLength: number,
): Map<string, Map<string, ExposedNameInfo>> {
  const pairs: PairKey[] = [];
  for (const [server, serverNames] of names) {
    for (const name of serverNames) pairs.push({ server, name });
  }
  pairs.sort(comparePairs);

  const claimed = new Map<string, PairKey>();
  const results = new Map<PairKey, ExposedNameInfo>();
  const toShorten: Array<{ pair: PairKey; reason: ShortenReason }> = [];

  // Natural names first: they win over shortened ones. Among equal natural names the pair that
  // splits back correctly wins, whatever the order.
  const naturalCandidates = new Map<string, PairKey[]>();
  for (const pair of pairs) {
    const natural = naturalName(pair.server, pair.name);
    if (!ALLOWED_NAME.test(natural)) {
      toShorten.push({ pair, reason: 'invalid-characters' });
    } else if (natural.length > maxLength) {
      toShorten.push({ pair, reason: 'too-long' });
    } else {
      const group = naturalCandidates.get(natural) ?? [];
      group.push(pair);
      naturalCandidates.set(natural, group);
    }
  }
  for (const [natural, group] of naturalCandidates) {
    const winner = group.find((pair) => splitsBack(pair.server, natural)) ?? group[0];
    for (const pair of group) {
      if (pair === winner) {
        claimed.set(natural, pair);
        results.set(pair, { name: pair.name, exposed: natural, shortened: false });
      } else {
        toShorten.push({ pair, reason: 'collision' });
      }
    }
  }

  toShorten.sort((a, b) => comparePairs(a.pair, b.pair));
  for (const { pair, reason } of toShorten) {
    const digest = pairDigest(pair.server, pair.name);
    let exposed: string | undefined;
    for (let length = HASH_LENGTH; length <= BASE36_DIGITS_OF_SHA256; length += 1) {
      const candidate = composeShortened(pair.server, pair.name, digest.slice(-length), maxLength);
      if (candidate === undefined) break;
      if (!claimed.has(candidate)) {
        exposed = candidate;
        break;
      }
    }
    if (exposed === undefined) {
      // Needs several successive sha256 suffix collisions: an invariant break, not a user error.
      throw new Error(
        `cannot expose ${JSON.stringify(pair.name)} of server ${JSON.stringify(pair.server)} ` +
          `under a unique name within ${maxLength} characters`,
      );
    }
    claimed.set(exposed, pair);
    results.set(pair, { name: pair.name, exposed, shortened: true, reason });
  }

  const forward = new Map<string, Map<string, ExposedNameInfo>>();
  for (const server of names.keys()) forward.set(server, new Map());
  for (const [pair, info] of results) forward.get(pair.server)?.set(pair.name, info);
  return forward;
}
