import { describe, expect, it } from 'vitest';
import { emptyForm, entryFromForm, formFromEntry, newRow, validateForm } from '../../../renderer/src/features/servers/form-model.js';
import { setAllTools, toggleTool } from '../../../renderer/src/features/tools/tool-filter-edit.js';

describe('server form model', () => {
  it('validates with the config schema as the user types', () => {
    const form = { ...emptyForm(), name: 'a b', command: '' };
    expect(validateForm(form, [], true)).toEqual([
      'server "a b": name may contain only letters, digits, "-" and "_"',
      'server "a b": "command" must be a non-empty string',
    ]);
    expect(validateForm({ ...form, name: 'ab', command: 'node' }, ['ab'], true)).toEqual(['server "ab": a server with this name exists']);
    const remote = { ...emptyForm(), kind: 'remote' as const, name: 'r', url: 'ftp://x', timeout: 'soon' };
    expect(validateForm(remote, [], true)).toEqual([
      'server "r": "url" must be an http:// or https:// URL',
      'server "r": "timeout" must be a positive integer (milliseconds)',
    ]);
  });

  it('turns secret rows into references and keeps hidden values as [REDACTED]', () => {
    const form = formFromEntry('gh', { type: 'streamable-http', url: 'https://x/mcp', headers: { 'X-Old': '[REDACTED]' }, toolFilter: { block: ['a'] } });
    expect(form.headers[0]).toMatchObject({ key: 'X-Old', kept: true, value: '' });
    const auth = { ...newRow('Authorization', 'Bearer abc'), secret: true };
    const { entry, moves } = entryFromForm({ ...form, headers: [...form.headers, auth], timeout: '5000' });
    expect(entry).toEqual({
      toolFilter: { block: ['a'] },
      type: 'streamable-http',
      url: 'https://x/mcp',
      headers: { 'X-Old': '[REDACTED]', Authorization: 'Bearer ${secret:gh-authorization}' },
      timeout: 5000,
    });
    expect(moves).toEqual([expect.objectContaining({ secret: 'gh-authorization', value: 'abc' })]);
  });
});

describe('tool switch filter edits', () => {
  it('blocks and unblocks exact names, extending an allow list when there is one', () => {
    expect(toggleTool(undefined, 'echo', false)).toEqual({ block: ['echo'] });
    expect(toggleTool({ block: ['echo'] }, 'echo', true)).toBeUndefined();
    expect(toggleTool({ allow: ['get_*'], block: ['echo', 'x'] }, 'echo', true)).toEqual({ allow: ['get_*', 'echo'], block: ['x'] });
    expect(setAllTools(['a', 'b'], false)).toEqual({ block: ['a', 'b'] });
    expect(setAllTools(['a'], true)).toBeUndefined();
  });
});
