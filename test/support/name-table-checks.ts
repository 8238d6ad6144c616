/** Shared helpers of the NameTable unit tests: invariant checks, snapshots, a seeded PRNG. */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { EXPOSED_NAME_PATTERN, NameTable, type ServerNames } from '../../main/core/routing/tool-names.js';

export const CLIENT_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/** The documented hash: last `length` base36 digits of sha256(JSON.stringify([server, name])). */
export function expectedHash(server: string, name: string, length = 6): string {
  const hex = createHash('sha256').update(JSON.stringify([server, name]), 'utf8').digest('hex');
  return (BigInt(`0x${hex}`) % 36n ** BigInt(length)).toString(36).padStart(length, '0');
}

export function table(entries: ServerNames[], maxLength?: number): NameTable {
  const t = new NameTable(maxLength === undefined ? {} : { maxLength });
  t.build(entries);
  return t;
}

/** Every exposed name of the table, checked for shape, uniqueness and round trip. */
export function checkInvariants(t: NameTable): Map<string, string> {
  const seen = new Map<string, string>();
  for (const server of t.servers()) {
    for (const info of t.namesFor(server)) {
      expect(info.exposed).toMatch(CLIENT_PATTERN);
      expect(info.exposed).toMatch(EXPOSED_NAME_PATTERN);
      expect(info.exposed.length).toBeLessThanOrEqual(t.maxLength);
      expect(seen.has(info.exposed), `duplicate ${info.exposed}`).toBe(false);
      seen.set(info.exposed, JSON.stringify([server, info.name]));
      expect(t.resolve(info.exposed)).toEqual({ server, name: info.name });
      expect(t.exposedName(server, info.name)).toBe(info.exposed);
      expect(info.shortened).toBe(info.reason !== undefined);
      if (!info.shortened) expect(info.exposed).toBe(`${server}__${info.name}`);
    }
  }
  expect(t.size).toBe(seen.size);
  return seen;
}

export function snapshot(t: NameTable): unknown {
  return t.servers().map((server) => ({
    server,
    names: [...t.namesFor(server)].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  }));
}

/** Small seeded PRNG (mulberry32) so the property tests are reproducible. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}
