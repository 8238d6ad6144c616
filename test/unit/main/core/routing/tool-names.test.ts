import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
  DEFAULT_MAX_EXPOSED_NAME_LENGTH,
  EXPOSED_NAME_PATTERN,
  NameTable,
  type ServerNames,
} from '../../../../../main/core/routing/tool-names.js';

const CLIENT_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/** The documented hash: last `length` base36 digits of sha256(JSON.stringify([server, name])). */
function expectedHash(server: string, name: string, length = 6): string {
  const hex = createHash('sha256').update(JSON.stringify([server, name]), 'utf8').digest('hex');
  return (BigInt(`0x${hex}`) % 36n ** BigInt(length)).toString(36).padStart(length, '0');
}

function table(entries: ServerNames[], maxLength?: number): NameTable {
  const t = new NameTable(maxLength === undefined ? {} : { maxLength });
  t.build(entries);
  return t;
}

/** Every exposed name of the table, checked for shape, uniqueness and round trip. */
function checkInvariants(t: NameTable): Map<string, string> {
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

function snapshot(t: NameTable): unknown {
  return t.servers().map((server) => ({
    server,
    names: [...t.namesFor(server)].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  }));
}

/** Small seeded PRNG (mulberry32) so the property tests are reproducible. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}

describe('NameTable options', () => {
  it('defaults maxLength to 47', () => {
    expect(new NameTable().maxLength).toBe(47);
    expect(DEFAULT_MAX_EXPOSED_NAME_LENGTH).toBe(47);
  });

  it('accepts 16 through 64', () => {
    expect(new NameTable({ maxLength: 16 }).maxLength).toBe(16);
    expect(new NameTable({ maxLength: 64 }).maxLength).toBe(64);
  });

  it.each([15, 65, 0, -1, 47.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'rejects maxLength %s',
    (maxLength) => {
      expect(() => new NameTable({ maxLength })).toThrow(RangeError);
    },
  );
});

describe('natural names', () => {
  it('exposes plain names as <server>__<name>', () => {
    const t = table([{ server: 'github', names: ['get_issue', 'create-issue', 'List2'] }]);
    expect(t.exposedName('github', 'get_issue')).toBe('github__get_issue');
    expect(t.exposedName('github', 'create-issue')).toBe('github__create-issue');
    expect(t.resolve('github__List2')).toEqual({ server: 'github', name: 'List2' });
    expect(t.namesFor('github')).toEqual([
      { name: 'get_issue', exposed: 'github__get_issue', shortened: false },
      { name: 'create-issue', exposed: 'github__create-issue', shortened: false },
      { name: 'List2', exposed: 'github__List2', shortened: false },
    ]);
    expect(t.shortened()).toEqual([]);
  });

  it('keeps a name that is exactly at the limit', () => {
    const name = 'a'.repeat(47 - 'github__'.length);
    const t = table([{ server: 'github', names: [name] }]);
    expect(t.exposedName('github', name)).toBe(`github__${name}`);
    expect(t.exposedName('github', name)).toHaveLength(47);
  });

  it('keeps tool names that contain "__" or start with "_" when nothing collides', () => {
    const t = table([{ server: 'srv', names: ['a__b', '_x', '__y'] }]);
    expect(t.exposedName('srv', 'a__b')).toBe('srv__a__b');
    expect(t.exposedName('srv', '_x')).toBe('srv___x');
    expect(t.exposedName('srv', '__y')).toBe('srv____y');
    checkInvariants(t);
  });

  it('resolves only exact exposed names, never by parsing', () => {
    const t = table([{ server: 'github', names: ['get_issue'] }]);
    expect(t.resolve('github__get_issue')).toEqual({ server: 'github', name: 'get_issue' });
    expect(t.resolve('github__other')).toBeUndefined();
    expect(t.resolve('GITHUB__get_issue')).toBeUndefined();
    expect(t.resolve('gitlab__get_issue')).toBeUndefined();
    expect(t.resolve('')).toBeUndefined();
    expect(t.exposedName('github', 'other')).toBeUndefined();
    expect(t.exposedName('nope', 'get_issue')).toBeUndefined();
    expect(t.namesFor('nope')).toEqual([]);
  });

  it('exposes the same tool name on two servers under two names', () => {
    const t = table([
      { server: 'github', names: ['search'] },
      { server: 'gitlab', names: ['search'] },
    ]);
    expect(t.exposedName('github', 'search')).toBe('github__search');
    expect(t.exposedName('gitlab', 'search')).toBe('gitlab__search');
    expect(t.resolve('gitlab__search')).toEqual({ server: 'gitlab', name: 'search' });
  });

  it('returns copies that cannot change the table', () => {
    const t = table([{ server: 'srv', names: ['x'] }]);
    const ref = t.resolve('srv__x');
    if (ref !== undefined) ref.name = 'y';
    const info = t.namesFor('srv')[0];
    if (info !== undefined) info.exposed = 'hacked';
    expect(t.resolve('srv__x')).toEqual({ server: 'srv', name: 'x' });
    expect(t.exposedName('srv', 'x')).toBe('srv__x');
  });
});

describe('shortened names', () => {
  it('shortens a name one over the limit and keeps readable prefixes', () => {
    const name = 'a'.repeat(47 - 'github__'.length + 1);
    const t = table([{ server: 'github', names: [name] }]);
    const exposed = t.exposedName('github', name) ?? '';
    expect(exposed).toHaveLength(47);
    expect(exposed).toBe(`github__${'a'.repeat(47 - 8 - 7)}_${expectedHash('github', name)}`);
    expect(t.namesFor('github')).toEqual([{ name, exposed, shortened: true, reason: 'too-long' }]);
    expect(t.shortened()).toEqual([{ server: 'github', name, exposed, reason: 'too-long' }]);
    expect(t.resolve(exposed)).toEqual({ server: 'github', name });
  });

  it('truncates a very long server too, keeping "__" as the separator', () => {
    const server = `very-long-server-name-${'s'.repeat(42)}`;
    const name = `very_long_tool_name_${'t'.repeat(80)}`;
    expect(server).toHaveLength(64);
    const t = table([{ server, names: [name] }]);
    const exposed = t.exposedName(server, name) ?? '';
    expect(exposed).toHaveLength(47);
    const separatorAt = exposed.indexOf('__');
    const serverPart = exposed.slice(0, separatorAt);
    const rest = exposed.slice(separatorAt + 2);
    expect(server.startsWith(serverPart)).toBe(true);
    expect(serverPart.length).toBeGreaterThanOrEqual(15);
    expect(rest.startsWith('very_long_tool')).toBe(true);
    expect(rest.endsWith(`_${expectedHash(server, name)}`)).toBe(true);
    checkInvariants(t);
  });

  it('gives a short server its full name and the tool the rest of the room', () => {
    const name = 'x'.repeat(100);
    const t = table([{ server: 'fs', names: [name] }]);
    expect(t.exposedName('fs', name)).toBe(
      `fs__${'x'.repeat(47 - 4 - 7)}_${expectedHash('fs', name)}`,
    );
  });

  it('gives a long server the room a short tool does not need', () => {
    const server = 'a-rather-long-server-name-for-testing-limits';
    const t = table([{ server, names: ['go'] }]);
    const exposed = t.exposedName(server, 'go') ?? '';
    expect(exposed).toBe(`${server.slice(0, 47 - 2 - 2 - 7)}__go_${expectedHash(server, 'go')}`);
  });

  it.each([
    ['dots', 'files.read'],
    ['slashes', 'fs/read/file'],
    ['spaces', 'get weather'],
    ['unicode', 'café_müller'],
    ['emoji', 'rocket_🚀_launch'],
    ['cjk', '検索'],
    ['colon', 'ns:tool'],
    ['lone surrogate', 'bad\ud800name'],
    ['nul', 'a\u0000b'],
  ])('replaces disallowed characters (%s) by "_" and hashes', (_label, name) => {
    const t = table([{ server: 'srv', names: [name] }]);
    const exposed = t.exposedName('srv', name) ?? '';
    const sanitized = [...name]
      .map((char) => (/^[A-Za-z0-9_-]$/.test(char) ? char : '_'))
      .join('')
      .replace(/_+$/, '');
    expect(exposed).toBe(`srv__${sanitized}_${expectedHash('srv', name)}`);
    expect(t.namesFor('srv')[0]?.reason).toBe('invalid-characters');
    expect(t.resolve(exposed)).toEqual({ server: 'srv', name });
    checkInvariants(t);
  });

  it('reports invalid-characters when a name is both invalid and too long', () => {
    const name = `${'a.'.repeat(40)}`;
    const t = table([{ server: 'srv', names: [name] }]);
    expect(t.namesFor('srv')[0]?.reason).toBe('invalid-characters');
    checkInvariants(t);
  });

  it('keeps a_b natural and hashes a.b when both sanitize to the same string', () => {
    const t = table([{ server: 'srv', names: ['a.b', 'a_b'] }]);
    expect(t.exposedName('srv', 'a_b')).toBe('srv__a_b');
    expect(t.exposedName('srv', 'a.b')).toBe(`srv__a_b_${expectedHash('srv', 'a.b')}`);
    expect(t.shortened()).toEqual([
      {
        server: 'srv',
        name: 'a.b',
        exposed: `srv__a_b_${expectedHash('srv', 'a.b')}`,
        reason: 'invalid-characters',
      },
    ]);
    // a.b is hashed whether or not a_b exists, so it never changes when a_b comes or goes.
    const alone = table([{ server: 'srv', names: ['a.b'] }]);
    expect(alone.exposedName('srv', 'a.b')).toBe(t.exposedName('srv', 'a.b'));
  });

  it('hashes names that differ only in disallowed characters to different names', () => {
    const names = ['a.b', 'a/b', 'a b', 'a:b', 'aéb', 'a🚀b'];
    const t = table([{ server: 'srv', names }]);
    const exposed = names.map((name) => t.exposedName('srv', name));
    expect(new Set(exposed).size).toBe(names.length);
    checkInvariants(t);
  });

  it('hashes the same shortened tool on two servers differently, each under its own server', () => {
    const t = table([
      { server: 'one', names: ['x.y'] },
      { server: 'two', names: ['x.y'] },
    ]);
    expect(t.exposedName('one', 'x.y')).toBe(`one__x_y_${expectedHash('one', 'x.y')}`);
    expect(t.exposedName('two', 'x.y')).toBe(`two__x_y_${expectedHash('two', 'x.y')}`);
  });

  it('lengthens the hash when a natural name already holds the candidate', () => {
    const hash6 = expectedHash('srv', 'a.b');
    const squatter = `a_b_${hash6}`;
    const t = table([{ server: 'srv', names: ['a.b', squatter] }]);
    expect(t.exposedName('srv', squatter)).toBe(`srv__a_b_${hash6}`);
    expect(t.exposedName('srv', 'a.b')).toBe(`srv__a_b_${expectedHash('srv', 'a.b', 7)}`);
    expect(expectedHash('srv', 'a.b', 7).endsWith(hash6)).toBe(true);
    checkInvariants(t);
  });

  it('gives the later-sorted pair the longer hash on a real 6-character hash collision', () => {
    // Found by search: both pairs have the same last 6 base36 digits (xxqaws).
    const first = 'collide.47484';
    const second = 'collide.74909';
    expect(expectedHash('s', first)).toBe('xxqaws');
    expect(expectedHash('s', second)).toBe('xxqaws');
    for (const order of [[first, second], [second, first]]) {
      const t = table([{ server: 's', names: order }], 16);
      expect(t.exposedName('s', first)).toBe('s__collid_xxqaws');
      expect(t.exposedName('s', second)).toBe(`s__colli_${expectedHash('s', second, 7)}`);
      checkInvariants(t);
    }
  });

  it('settles natural collisions across servers in favour of the pair "__" splits back to', () => {
    // a_ + x and a + _x both give a___x; the first "__" says server "a".
    for (const entries of [
      [{ server: 'a_', names: ['x'] }, { server: 'a', names: ['_x'] }],
      [{ server: 'a', names: ['_x'] }, { server: 'a_', names: ['x'] }],
    ]) {
      const t = table(entries);
      expect(t.exposedName('a', '_x')).toBe('a___x');
      expect(t.resolve('a___x')).toEqual({ server: 'a', name: '_x' });
      expect(t.exposedName('a_', 'x')).toBe(`a__x_${expectedHash('a_', 'x')}`);
      expect(t.shortened()).toEqual([
        {
          server: 'a_',
          name: 'x',
          exposed: `a__x_${expectedHash('a_', 'x')}`,
          reason: 'collision',
        },
      ]);
      checkInvariants(t);
    }
  });

  it('keeps a server ending in "_" natural when nothing collides', () => {
    const t = table([{ server: 'a_', names: ['x'] }]);
    expect(t.exposedName('a_', 'x')).toBe('a___x');
  });

  it('still produces valid, unique names for invalid server names', () => {
    const t = table([
      { server: 'my server', names: ['x'] },
      { server: 'my.server', names: ['x'] },
      { server: 'a__b', names: ['c'] },
      { server: 'a', names: ['b__c'] },
      { server: 'ü', names: ['x'] },
    ]);
    checkInvariants(t);
    expect(t.exposedName('a', 'b__c')).toBe('a__b__c');
    expect(t.namesFor('a__b')[0]?.reason).toBe('collision');
    expect(t.exposedName('a__b', 'c')?.startsWith('a_b__c_')).toBe(true);
    expect(t.exposedName('my server', 'x')?.startsWith('my_server__x_')).toBe(true);
  });

  it('handles an empty tool name', () => {
    const t = table([{ server: 'srv', names: [''] }]);
    expect(t.exposedName('srv', '')).toBe('srv__');
    const long = table([{ server: 's'.repeat(64), names: [''] }]);
    expect(long.namesFor('s'.repeat(64))[0]?.reason).toBe('too-long');
    checkInvariants(long);
  });

  it('works at the smallest and largest maxLength', () => {
    for (const maxLength of [16, 64]) {
      const server = 'x'.repeat(64);
      const names = ['short', 'y'.repeat(100), 'with.dot', 'z'.repeat(64 - 6 - 2)];
      const t = table([{ server: 'srv', names }, { server, names }], maxLength);
      checkInvariants(t);
      for (const info of t.namesFor(server)) {
        expect(info.exposed.indexOf('__')).toBeGreaterThan(0);
      }
    }
    const atLimit = table([{ server: 'srv', names: ['z'.repeat(64 - 5)] }], 64);
    expect(atLimit.exposedName('srv', 'z'.repeat(59))).toBe(`srv__${'z'.repeat(59)}`);
    expect(atLimit.exposedName('srv', 'z'.repeat(59))).toHaveLength(64);
  });
});

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
