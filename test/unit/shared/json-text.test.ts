import { describe, expect, it } from 'vitest';
import { lineAndColumn, parseJsonText } from '../../../shared/json-text.js';

const errorOf = (text: string): string => {
  const result = parseJsonText(text);
  return result.ok ? '' : result.error;
};

describe('parseJsonText', () => {
  it('parses valid JSON, after a byte-order mark too', () => {
    expect(parseJsonText('\uFEFF{"a": [1, "x"]}')).toEqual({ ok: true, value: { a: [1, 'x'] } });
  });

  it('says where and what, in words, never "at position N"', () => {
    expect(errorOf('{"a": 1,\n}')).toBe('invalid JSON at line 2, column 1: a comma before "}" (JSON allows none there)');
    expect(errorOf('{"a": [1, 2,]}')).toBe('invalid JSON at line 1, column 13: a comma before "]" (JSON allows none there)');
    expect(errorOf('{oops}')).toBe('invalid JSON at line 1, column 2: unexpected "oops" (strings and names need double quotes)');
    expect(errorOf('{"a": 1 // why\n}')).toBe('invalid JSON at line 1, column 9: comments are not allowed in JSON');
    expect(errorOf('{"a" 1}')).toBe('invalid JSON at line 1, column 6: expected ":" after the property name, found "1"');
    expect(errorOf('{"a": 1}\n{"b": 2}')).toBe('invalid JSON at line 2, column 1: more text after the end of the JSON value ("{")');
    expect(errorOf('{"a": "C:\\dir"}')).toBe('invalid JSON at line 1, column 7: an invalid escape in the string "C:\\dir": write each backslash as \\\\');
    expect(errorOf('{"a": ')).toBe('invalid JSON at line 1, column 7: the text ends before the JSON is complete');
    expect(errorOf('  ')).toBe('invalid JSON at line 1, column 3: the text is empty');
  });

  it('counts lines the way editors do, whatever the line ends', () => {
    expect(lineAndColumn('a\r\nb\nc\rd', 7)).toEqual({ line: 4, column: 1 });
    expect(lineAndColumn('ab\r\ncd', 5)).toEqual({ line: 2, column: 2 });
  });
});
