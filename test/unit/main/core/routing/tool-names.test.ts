import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_EXPOSED_NAME_LENGTH, NameTable } from '../../../../../main/core/routing/tool-names.js';
import { expectedHash, table, checkInvariants } from '../../../../support/name-table-checks.js';

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
