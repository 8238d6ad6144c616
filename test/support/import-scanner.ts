/**
 * Finds the import specifiers of a TypeScript source file for the layering test. A small
 * tokenizer rather than a regex over the text, so imports that only appear in comments, strings
 * or template literals are not counted.
 */
/** One import specifier found in a source file. */
export interface ImportRef {
  specifier: string;
  /** 1-based line of the `import` / `export` / `require` keyword. */
  line: number;
  /** `import type ...` or `export type ... from`: erased at compile time. */
  typeOnly: boolean;
}

interface Token {
  kind: 'ident' | 'string' | 'template' | 'regex' | 'number' | 'punct';
  value: string;
  line: number;
}

const REGEX_AFTER_KEYWORDS = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await',
]);

/** Splits TypeScript source into the tokens the import scan needs; comments are dropped. */
function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  /** One entry per open `${` of a template literal: the brace depth inside that expression. */
  const templateDepth: number[] = [];

  const regexAllowed = (): boolean => {
    const prev = tokens.at(-1);
    if (!prev) return true;
    if (prev.kind === 'ident') return REGEX_AFTER_KEYWORDS.has(prev.value);
    if (prev.kind === 'punct') return !')]}'.includes(prev.value);
    return false;
  };

  /** Reads template text from `i` (just after a backtick or a closing `}`) to the next backtick or `${`. */
  const readTemplateText = (startLine: number): void => {
    while (i < source.length) {
      const c = source[i]!;
      if (c === '\\') {
        i += 2;
        continue;
      }
      if (c === '\n') line++;
      if (c === '`') {
        i++;
        tokens.push({ kind: 'template', value: '', line: startLine });
        return;
      }
      if (c === '$' && source[i + 1] === '{') {
        i += 2;
        templateDepth.push(0);
        tokens.push({ kind: 'template', value: '', line: startLine });
        tokens.push({ kind: 'punct', value: '(', line }); // an expression starts: a regex may follow
        return;
      }
      i++;
    }
  };

  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      for (let j = i; j < stop; j++) if (source[j] === '\n') line++;
      i = stop;
    } else if (c === "'" || c === '"') {
      const startLine = line;
      let value = '';
      i++;
      // A quote string cannot span lines; stopping at a newline also limits the damage of a stray
      // quote (such as an apostrophe in JSX text) to one line.
      while (i < source.length && source[i] !== c && source[i] !== '\n') {
        if (source[i] === '\\') {
          if (source[i + 1] === '\n') line++;
          value += source[i + 1] ?? '';
          i += 2;
        } else {
          value += source[i];
          i++;
        }
      }
      if (source[i] === c) i++;
      tokens.push({ kind: 'string', value, line: startLine });
    } else if (c === '`') {
      i++;
      readTemplateText(line);
    } else if (c === '}' && templateDepth.length > 0 && templateDepth.at(-1) === 0) {
      templateDepth.pop();
      i++;
      readTemplateText(line);
    } else if (c === '/' && regexAllowed()) {
      const startLine = line;
      let inClass = false;
      i++;
      while (i < source.length && source[i] !== '\n') {
        const r = source[i]!;
        if (r === '\\') i++;
        else if (r === '[') inClass = true;
        else if (r === ']') inClass = false;
        else if (r === '/' && !inClass) break;
        i++;
      }
      i++;
      while (i < source.length && /[A-Za-z]/.test(source[i]!)) i++;
      tokens.push({ kind: 'regex', value: '', line: startLine });
    } else if (/[\p{ID_Start}$_]/u.test(c)) {
      const match = /^[\p{ID_Continue}$\u200c\u200d]+/u.exec(source.slice(i, i + 256))!;
      tokens.push({ kind: 'ident', value: match[0], line });
      i += match[0].length;
    } else if (/[0-9]/.test(c)) {
      const match = /^[0-9A-Za-z_.]+/.exec(source.slice(i, i + 64))!;
      tokens.push({ kind: 'number', value: match[0], line });
      i += match[0].length;
    } else {
      if (templateDepth.length > 0) {
        if (c === '{') templateDepth[templateDepth.length - 1]!++;
        else if (c === '}') templateDepth[templateDepth.length - 1]!--;
      }
      tokens.push({ kind: 'punct', value: c, line });
      i++;
    }
  }
  return tokens;
}

/**
 * Every module specifier a source file imports: static imports (with or without bindings),
 * `export ... from`, dynamic `import('x')` and `require('x')`. Specifiers that are not plain
 * string literals (a template or an expression in `import()`) are not reported.
 */
export function scanImports(source: string): ImportRef[] {
  const tokens = tokenize(source);
  const refs: ImportRef[] = [];
  const is = (index: number, value: string): boolean => tokens[index]?.value === value && tokens[index]?.kind !== 'string';

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind !== 'ident' || is(i - 1, '.')) continue;

    if (token.value === 'require' || (token.value === 'import' && is(i + 1, '('))) {
      if (!is(i + 1, '(')) continue;
      const arg = tokens[i + 2];
      if (arg?.kind === 'string' && (is(i + 3, ')') || is(i + 3, ','))) {
        refs.push({ specifier: arg.value, line: token.line, typeOnly: false });
      }
      continue;
    }

    if (token.value === 'import') {
      const first = tokens[i + 1];
      if (!first) continue;
      if (first.kind === 'string') {
        refs.push({ specifier: first.value, line: token.line, typeOnly: false });
        continue;
      }
      // `import x from`, `import { a } from`, `import * as ns from`, `import type ...`; not
      // `import.meta` or an object key named `import`.
      if (!(first.kind === 'ident' || is(i + 1, '{') || is(i + 1, '*'))) continue;
      const typeOnly = first.value === 'type' && first.kind === 'ident' && !is(i + 2, 'from') && !is(i + 2, ',') && !is(i + 2, '=');
      const spec = findFrom(tokens, i + 1);
      if (spec) refs.push({ specifier: spec.value, line: token.line, typeOnly });
      continue;
    }

    if (token.value === 'export') {
      // Only re-exports carry a specifier: `export * from`, `export { a } from`, `export type { T } from`.
      let j = i + 1;
      let typeOnly = false;
      if (is(j, 'type') && (is(j + 1, '{') || is(j + 1, '*'))) {
        typeOnly = true;
        j++;
      }
      if (!(is(j, '{') || is(j, '*'))) continue;
      const spec = findFrom(tokens, j);
      if (spec) refs.push({ specifier: spec.value, line: token.line, typeOnly });
    }
  }
  return refs;
}

/** The string after the `from` that ends an import/export clause starting at `start`, if any. */
function findFrom(tokens: Token[], start: number): Token | undefined {
  let depth = 0;
  for (let j = start; j < tokens.length && j < start + 500; j++) {
    const t = tokens[j]!;
    if (t.kind === 'punct') {
      if (t.value === '{') depth++;
      else if (t.value === '}') {
        depth--;
        if (depth < 0) return undefined;
      } else if (t.value === ';' || t.value === '(' || t.value === '=') return undefined;
    } else if (depth === 0 && t.kind === 'ident' && t.value === 'from' && tokens[j + 1]?.kind === 'string') {
      return tokens[j + 1];
    } else if (t.kind === 'string' && depth === 0) {
      return undefined;
    }
  }
  return undefined;
}
