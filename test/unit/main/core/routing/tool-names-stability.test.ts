import { describe, expect, it } from 'vitest';
import { NameTable, type ServerNames } from '../../../../../main/core/routing/tool-names.js';
import { expectedHash, table, checkInvariants, snapshot, prng, shuffle } from '../../../../support/name-table-checks.js';

describe('determinism and updates', () => {
  const entries: ServerNames[] = [
    { server: 'github', names: ['get_issue', 'search', 'a.b', 'a_b', 'x'.repeat(60)] },
    { server: 'gitlab', names: ['search', 'merge request'] },
    { server: 'a_', names: ['x'] },
    { server: 'a', names: ['_x', 'y'] },
    { server: 'fs', names: ['read/file', 'write/file'] },
  ];

  it('gives the same table whatever the order of servers and names', () => {
    const reference = snapshot(table(entries));
    const random = prng(7);
    for (let round = 0; round < 20; round += 1) {
      const shuffled = shuffle(entries, random).map((entry) => ({
        server: entry.server,
        names: shuffle(entry.names, random),
      }));
      expect(snapshot(table(shuffled))).toEqual(reference);
    }
  });

  it('gives the same table from setServer calls in any order as from build', () => {
    const reference = snapshot(table(entries));
    const random = prng(11);
    for (let round = 0; round < 10; round += 1) {
      const t = new NameTable();
      for (const entry of shuffle(entries, random)) t.setServer(entry.server, entry.names);
      expect(snapshot(t)).toEqual(reference);
    }
  });

  it('keeps names in the order they were given, without duplicates', () => {
    const t = table([
      { server: 'srv', names: ['b', 'a', 'b', 'c'] },
      { server: 'srv', names: ['d', 'a'] },
    ]);
    expect(t.namesFor('srv').map((info) => info.name)).toEqual(['b', 'a', 'c', 'd']);
    t.setServer('srv', ['z', 'z', 'y']);
    expect(t.namesFor('srv').map((info) => info.name)).toEqual(['z', 'y']);
  });

  it('updates one server without touching the others', () => {
    const t = table(entries);
    const before = snapshot(t);
    expect(t.setServer('gitlab', ['search', 'new_tool'])).toEqual(['gitlab']);
    expect(t.exposedName('gitlab', 'new_tool')).toBe('gitlab__new_tool');
    expect(t.exposedName('gitlab', 'merge request')).toBeUndefined();
    const gone = `gitlab__merge_request_${expectedHash('gitlab', 'merge request')}`;
    expect(t.resolve(gone)).toBeUndefined();
    const others = (s: unknown): unknown[] =>
      (s as Array<{ server: string }>).filter((entry) => entry.server !== 'gitlab');
    expect(others(snapshot(t))).toEqual(others(before));
  });

  it('reports no change when a server is set to the same names', () => {
    const t = table(entries);
    const reordered = ['search', 'get_issue', 'a_b', 'a.b', 'x'.repeat(60)];
    expect(t.setServer('github', reordered)).toEqual([]);
  });

  it('reports the other server whose name a collision changes', () => {
    const t = table([{ server: 'a_', names: ['x'] }]);
    expect(t.exposedName('a_', 'x')).toBe('a___x');
    expect(t.setServer('a', ['_x'])).toEqual(['a', 'a_']);
    expect(t.exposedName('a_', 'x')).toBe(`a__x_${expectedHash('a_', 'x')}`);
    expect(t.removeServer('a')).toEqual(['a', 'a_']);
    expect(t.exposedName('a_', 'x')).toBe('a___x');
  });

  it('removes a server and its names, and matches a fresh build', () => {
    const t = table(entries);
    expect(t.removeServer('github')).toEqual(['github']);
    expect(t.servers()).toEqual(['a', 'a_', 'fs', 'gitlab']);
    expect(t.resolve('github__search')).toBeUndefined();
    expect(t.exposedName('github', 'search')).toBeUndefined();
    expect(snapshot(t)).toEqual(snapshot(table(entries.filter((e) => e.server !== 'github'))));
    expect(t.removeServer('github')).toEqual([]);
    expect(t.removeServer('never-there')).toEqual([]);
  });

  it('frees a hash for the other pair when the holder goes away', () => {
    const t = table([{ server: 's', names: ['collide.47484', 'collide.74909'] }], 16);
    t.setServer('s', ['collide.74909']);
    expect(t.exposedName('s', 'collide.74909')).toBe('s__collid_xxqaws');
  });

  it('lists servers with no names and reports them as changed only when names change', () => {
    const t = new NameTable();
    expect(t.setServer('empty', [])).toEqual([]);
    expect(t.servers()).toEqual(['empty']);
    expect(t.namesFor('empty')).toEqual([]);
    expect(t.setServer('empty', ['x'])).toEqual(['empty']);
    expect(t.build([])).toEqual(['empty']);
    expect(t.servers()).toEqual([]);
    expect(t.size).toBe(0);
  });

  it('replaces everything on build', () => {
    const t = table(entries);
    t.build([{ server: 'only', names: ['one'] }]);
    expect(t.servers()).toEqual(['only']);
    expect(t.size).toBe(1);
    expect(t.resolve('github__search')).toBeUndefined();
  });

  it('sorts shortened() by server then name', () => {
    const t = table(entries);
    const list = t.shortened();
    expect(list.map((s) => `${s.server}/${s.name}`)).toEqual([
      'a_/x',
      'fs/read/file',
      'fs/write/file',
      'github/a.b',
      `github/${'x'.repeat(60)}`,
      'gitlab/merge request',
    ]);
    expect(list.map((s) => s.reason)).toEqual([
      'collision',
      'invalid-characters',
      'invalid-characters',
      'invalid-characters',
      'too-long',
      'invalid-characters',
    ]);
  });
});

describe('property: random names', () => {
  const ALPHABET = [
    ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
    ...'______----',
    '.', '/', ' ', ':', 'é', 'ß', '検', '🚀', '\u0000', '\ud800',
  ];
  const SERVERS = ['a', 'a_', 'b', 'github', 'fs', 'x-y', `long-${'s'.repeat(59)}`, 'srv_2', '_'];

  function randomName(random: () => number): string {
    const length = 1 + Math.floor(random() * (random() < 0.3 ? 90 : 20));
    let name = '';
    for (let i = 0; i < length; i += 1) {
      name += ALPHABET[Math.floor(random() * ALPHABET.length)] ?? 'a';
    }
    return name;
  }

  function randomEntries(random: () => number, count: number): ServerNames[] {
    const byServer = new Map<string, string[]>();
    for (let i = 0; i < count; i += 1) {
      const server = SERVERS[Math.floor(random() * SERVERS.length)] ?? 'a';
      const names = byServer.get(server) ?? [];
      let name = randomName(random);
      // Add near-duplicates on purpose: the same name sanitized, or with a prefix collision.
      if (random() < 0.1 && names.length > 0) {
        const base = names[Math.floor(random() * names.length)] ?? 'x';
        name = random() < 0.5 ? base.replace(/[^A-Za-z0-9_-]/g, '_') : `${base}.${i}`;
      }
      names.push(name);
      byServer.set(server, names);
    }
    return [...byServer].map(([server, names]) => ({ server, names }));
  }

  it.each([16, 24, 47, 64])('keeps names unique, valid, reversible at %i', (maxLength) => {
    const random = prng(maxLength * 1000 + 1);
    for (let round = 0; round < 5; round += 1) {
      const entries = randomEntries(random, 300);
      const t = table(entries, maxLength);
      const exposed = checkInvariants(t);
      const pairs = new Set(
        entries.flatMap((e) => e.names.map((name) => JSON.stringify([e.server, name]))),
      );
      expect(exposed.size).toBe(pairs.size);
      expect(new Set(exposed.values())).toEqual(pairs);

      // Any construction order, and incremental updates, give the same table.
      const reference = snapshot(t);
      const shuffled = shuffle(entries, random).map((e) => ({
        server: e.server,
        names: shuffle(e.names, random),
      }));
      expect(snapshot(table(shuffled, maxLength))).toEqual(reference);
      const incremental = new NameTable({ maxLength });
      for (const entry of shuffled) incremental.setServer(entry.server, entry.names);
      expect(snapshot(incremental)).toEqual(reference);

      // Removing a server and putting it back restores the same names.
      const victim = entries[0];
      if (victim !== undefined) {
        incremental.removeServer(victim.server);
        checkInvariants(incremental);
        incremental.setServer(victim.server, victim.names);
        expect(snapshot(incremental)).toEqual(reference);
      }
    }
  });

  it('shortens only when needed (valid names that fit and split back stay natural)', () => {
    const random = prng(99);
    const entries = randomEntries(random, 400);
    const t = table(entries);
    for (const entry of entries) {
      for (const info of t.namesFor(entry.server)) {
        const natural = `${entry.server}__${info.name}`;
        const fits = /^[A-Za-z0-9_-]+$/.test(natural) && natural.length <= 47;
        if (!fits) expect(info.shortened).toBe(true);
        const splitsBack = natural.indexOf('__') === entry.server.length;
        if (fits && splitsBack) expect(info.shortened).toBe(false);
      }
    }
  });
});
