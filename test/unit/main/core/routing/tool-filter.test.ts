import { describe, expect, it } from 'vitest';

import {
  checkToolPattern,
  compileToolFilter,
  filterToolList,
} from '../../../../../main/core/routing/tool-filter.js';

const NAMES = [
  'get_issue',
  'get_pull_request',
  'create_issue',
  'delete_issue',
  'undelete_file',
  'list_files',
  'a',
  'b',
  'c',
  'Get_issue',
  'get_',
  'get_a/b',
  'get_a.b',
  'get_.hidden',
  '.hidden',
  'fs/read',
  'fs/dir/read',
  'x//y',
  'get_a/../b',
  'weather.delete.all',
  'get_ümlaut',
  'get_😀',
  'a*',
];

function allowedNames(filter: Parameters<typeof compileToolFilter>[0]): string[] {
  const allowed = compileToolFilter(filter);
  return NAMES.filter((name) => allowed(name));
}

describe('compileToolFilter', () => {
  it('allows everything when there is no filter', () => {
    expect(allowedNames(undefined)).toEqual(NAMES);
  });

  it('allows everything when allow is absent or empty', () => {
    expect(allowedNames({})).toEqual(NAMES);
    expect(allowedNames({ allow: [] })).toEqual(NAMES);
    expect(allowedNames({ allow: [], block: [] })).toEqual(NAMES);
  });

  it('allows only what matches allow when allow is given', () => {
    expect(allowedNames({ allow: ['get_issue', 'list_files'] })).toEqual([
      'get_issue',
      'list_files',
    ]);
  });

  it('lets block win over allow', () => {
    const allowed = compileToolFilter({ allow: ['*_issue'], block: ['delete_*'] });
    expect(allowed('get_issue')).toBe(true);
    expect(allowed('create_issue')).toBe(true);
    expect(allowed('delete_issue')).toBe(false);
    expect(allowed('list_files')).toBe(false);
  });

  it('blocks from everything when only block is given', () => {
    expect(allowedNames({ block: ['*delete*'] })).toEqual(
      NAMES.filter((name) => !name.includes('delete')),
    );
  });

  it('blocks an exact name that is also allowed exactly', () => {
    expect(allowedNames({ allow: ['a', 'b'], block: ['a'] })).toEqual(['b']);
  });

  it('matches get_* across "/" and "." as plain strings', () => {
    expect(allowedNames({ allow: ['get_*'] })).toEqual([
      'get_issue',
      'get_pull_request',
      'get_',
      'get_a/b',
      'get_a.b',
      'get_.hidden',
      'get_a/../b',
      'get_ümlaut',
      'get_😀',
    ]);
  });

  it('matches *delete* anywhere in the name, including across separators', () => {
    expect(allowedNames({ allow: ['*delete*'] })).toEqual([
      'delete_issue',
      'undelete_file',
      'weather.delete.all',
    ]);
  });

  it('matches "*" against every ordinary name, with or without "/" and leading "."', () => {
    const allowed = compileToolFilter({ allow: ['*'] });
    for (const name of NAMES) expect(allowed(name), name).toBe(true);
    expect(compileToolFilter({ allow: ['**'] })('fs/dir/read')).toBe(true);
  });

  it('supports braces', () => {
    expect(allowedNames({ allow: ['{a,b}'] })).toEqual(['a', 'b']);
    expect(allowedNames({ allow: ['{get,create}_issue'] })).toEqual(['get_issue', 'create_issue']);
    expect(allowedNames({ block: ['{a,b,c}'] })).toEqual(
      NAMES.filter((name) => !['a', 'b', 'c'].includes(name)),
    );
  });

  it('supports ? and character classes, with ? crossing "/" and "."', () => {
    expect(allowedNames({ allow: ['?'] })).toEqual(['a', 'b', 'c']);
    expect(allowedNames({ allow: ['[ab]'] })).toEqual(['a', 'b']);
    const allowed = compileToolFilter({ allow: ['get_a?b'] });
    expect(allowed('get_a/b')).toBe(true);
    expect(allowed('get_a.b')).toBe(true);
    expect(allowed('get_ab')).toBe(false);
  });

  it('is case-sensitive', () => {
    expect(allowedNames({ allow: ['get_issue'] })).toEqual(['get_issue']);
    expect(allowedNames({ allow: ['GET_*'] })).toEqual([]);
    expect(allowedNames({ allow: ['Get_*'] })).toEqual(['Get_issue']);
  });

  it('matches patterns that contain "/" literally and across segments', () => {
    expect(allowedNames({ allow: ['fs/*'] })).toEqual(['fs/read', 'fs/dir/read']);
    expect(allowedNames({ allow: ['fs/read'] })).toEqual(['fs/read']);
    expect(allowedNames({ allow: ['x//y'] })).toEqual(['x//y']);
    expect(allowedNames({ allow: ['*/read'] })).toEqual(['fs/read', 'fs/dir/read']);
  });

  it('matches whole names only, not substrings', () => {
    expect(allowedNames({ allow: ['issue'] })).toEqual([]);
    expect(allowedNames({ allow: ['get'] })).toEqual([]);
  });

  it('escapes special characters with a backslash', () => {
    expect(allowedNames({ allow: ['a\\*'] })).toEqual(['a*']);
  });

  it('treats backslashes in names as ordinary characters on every platform', () => {
    expect(compileToolFilter({ allow: ['a\\\\b'] })('a\\b')).toBe(true);
    expect(compileToolFilter({ allow: ['a?b'] })('a\\b')).toBe(true);
    expect(compileToolFilter({ allow: ['a/b'] })('a\\b')).toBe(false);
  });

  it('ORs several allow patterns and several block patterns', () => {
    expect(allowedNames({ allow: ['a', 'list_*', 'get_issue'], block: ['b', 'a'] })).toEqual([
      'get_issue',
      'list_files',
    ]);
  });

  it('returns a reusable predicate that does not depend on call order', () => {
    const allowed = compileToolFilter({ allow: ['get_*'], block: ['get_pull_*'] });
    const first = NAMES.map((name) => allowed(name));
    const second = [...NAMES].reverse().map((name) => allowed(name)).reverse();
    expect(second).toEqual(first);
  });

  it('does not mutate the filter', () => {
    const filter = Object.freeze({
      allow: Object.freeze(['get_*']) as string[],
      block: Object.freeze(['get_x']) as string[],
    });
    expect(compileToolFilter(filter)('get_y')).toBe(true);
    expect(filter.allow).toEqual(['get_*']);
  });

  it('throws on an empty pattern, naming the list and index', () => {
    expect(() => compileToolFilter({ allow: ['a', ''] })).toThrow(
      /toolFilter\.allow\[1\]: pattern is empty/,
    );
    expect(() => compileToolFilter({ block: [''] })).toThrow(/toolFilter\.block\[0\]/);
  });

  it('throws on a pattern that is not a string', () => {
    const filter = { allow: [42] } as unknown as { allow: string[] };
    expect(() => compileToolFilter(filter)).toThrow(TypeError);
  });

  it('refuses (never matches) malformed ranges instead of widening access', () => {
    expect(allowedNames({ allow: ['[z-a]'] })).toEqual([]);
  });
});

describe('checkToolPattern', () => {
  it('accepts ordinary globs', () => {
    for (const pattern of ['get_*', '*delete*', '{a,b}', 'fs/*', '[abc]?', 'a\\*', '+(a|b)']) {
      expect(checkToolPattern(pattern), pattern).toBeUndefined();
    }
  });

  it('reports empty and non-string patterns', () => {
    expect(checkToolPattern('')).toBe('pattern is empty');
    expect(checkToolPattern(undefined)).toBe('pattern must be a string');
    expect(checkToolPattern(7)).toBe('pattern must be a string');
  });

  it('reports patterns longer than picomatch accepts', () => {
    expect(checkToolPattern('a'.repeat(70_000))).toMatch(/length/i);
  });
});

describe('filterToolList', () => {
  const tools = [
    { name: 'get_issue', description: 'one' },
    { name: 'delete_issue', description: 'two' },
    { name: 'list_files', description: 'three' },
  ];

  it('keeps allowed tools in their original order and returns the same items', () => {
    const result = filterToolList(tools, compileToolFilter({ block: ['delete_*'] }));
    expect(result).toEqual([tools[0], tools[2]]);
    expect(result[0]).toBe(tools[0]);
  });

  it('returns a new array even when everything is allowed', () => {
    const result = filterToolList(tools, compileToolFilter(undefined));
    expect(result).toEqual(tools);
    expect(result).not.toBe(tools);
  });

  it('returns an empty list when nothing is allowed', () => {
    expect(filterToolList(tools, compileToolFilter({ allow: ['nope'] }))).toEqual([]);
  });

  it('accepts any predicate and keeps the element type', () => {
    const result: Array<{ name: string; description: string }> = filterToolList(
      tools,
      (name) => name.startsWith('list'),
    );
    expect(result.map((tool) => tool.description)).toEqual(['three']);
  });
});
