/**
 * Layering rules (STYLE.md §3), checked on the import specifiers of every source file:
 *
 * - `main/core/` is plain Node: no `electron`, no `electron-store`, nothing under `main/electron/`
 *   (not even type-only: the core must build and run without Electron installed);
 * - `shared/` runs in every process (main, preload, renderer, a browser): no `node:*` or other
 *   Node builtins, no `electron`, no React, and no runtime import that leaves `shared/` (so
 *   nothing from `main/` or `renderer/`). Type-only imports are fine there: they are erased.
 *
 * The scanner is a small tokenizer rather than a regex over the text, so imports that only
 * appear in comments, strings or template literals are not counted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// --- scanner ---------------------------------------------------------------------------------

/** One import specifier found in a source file. */
interface ImportRef {
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
function scanImports(source: string): ImportRef[] {
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

// --- rules -----------------------------------------------------------------------------------

const NODE_BUILTINS = new Set(builtinModules);

function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || NODE_BUILTINS.has(specifier) || NODE_BUILTINS.has(specifier.split('/')[0]!);
}

function isPackage(specifier: string, name: string): boolean {
  return specifier === name || specifier.startsWith(`${name}/`);
}

/** The repository-relative path (posix separators) a relative specifier points at. */
function resolveRelative(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('./') && !specifier.startsWith('../') && specifier !== '.' && specifier !== '..') return undefined;
  return path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
}

function isUnder(target: string, folder: string): boolean {
  return target === folder || target.startsWith(`${folder}/`);
}

/**
 * The layering problem of one import of `file` (repository-relative, posix separators), or
 * `undefined` when the import is allowed.
 */
function layeringProblem(file: string, ref: ImportRef): string | undefined {
  const spec = ref.specifier;
  const target = resolveRelative(file, spec);
  if (isUnder(file, 'main/core')) {
    if (isPackage(spec, 'electron') || isPackage(spec, 'electron-store')) {
      return `main/core must not import "${spec}" (only main/electron may)`;
    }
    if (target !== undefined && isUnder(target, 'main/electron')) {
      return `main/core must not import from main/electron ("${spec}")`;
    }
    return undefined;
  }
  if (isUnder(file, 'shared')) {
    if (ref.typeOnly) return undefined;
    if (isNodeBuiltin(spec)) return `shared/ must not import the Node builtin "${spec}" (it runs in the renderer too)`;
    if (isPackage(spec, 'electron')) return `shared/ must not import "${spec}"`;
    if (isPackage(spec, 'react') || isPackage(spec, 'react-dom')) return `shared/ must not import "${spec}"`;
    if (target !== undefined && !isUnder(target, 'shared')) {
      const where = isUnder(target, 'main') ? 'main/' : isUnder(target, 'renderer') ? 'renderer/' : 'outside shared/';
      return `shared/ must not import from ${where} ("${spec}"; a type-only import is fine)`;
    }
  }
  return undefined;
}

/** `file:line: problem` for every layering violation in `source`. */
function checkSource(file: string, source: string): string[] {
  return scanImports(source).flatMap((ref) => {
    const problem = layeringProblem(file, ref);
    return problem === undefined ? [] : [`${file}:${ref.line}: ${problem}`];
  });
}

function listSources(folder: string): string[] {
  const dir = path.join(root, folder);
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

// --- tests -----------------------------------------------------------------------------------

describe('import scanner', () => {
  it('finds every import form with its line', () => {
    const source = [
      "import a from 'pkg-a';", // 1
      "import { b, type B } from 'pkg-b';",
      "import * as c from 'pkg-c';",
      "import 'side-effect';",
      "import type { D } from 'pkg-d';", // 5
      'import {',
      '  e,',
      "} from 'pkg-e';",
      "export * from 'pkg-f';",
      "export { g } from 'pkg-g';", // 10
      "export type { H } from 'pkg-h';",
      "const i = await import('pkg-i');",
      "const j = require('pkg-j');",
      'export const k = 1;',
      "import type from 'pkg-default-named-type';", // 15
    ].join('\n');
    expect(scanImports(source)).toEqual([
      { specifier: 'pkg-a', line: 1, typeOnly: false },
      { specifier: 'pkg-b', line: 2, typeOnly: false },
      { specifier: 'pkg-c', line: 3, typeOnly: false },
      { specifier: 'side-effect', line: 4, typeOnly: false },
      { specifier: 'pkg-d', line: 5, typeOnly: true },
      { specifier: 'pkg-e', line: 6, typeOnly: false },
      { specifier: 'pkg-f', line: 9, typeOnly: false },
      { specifier: 'pkg-g', line: 10, typeOnly: false },
      { specifier: 'pkg-h', line: 11, typeOnly: true },
      { specifier: 'pkg-i', line: 12, typeOnly: false },
      { specifier: 'pkg-j', line: 13, typeOnly: false },
      { specifier: 'pkg-default-named-type', line: 15, typeOnly: false },
    ]);
  });

  it('ignores comments, strings, template literals and import.meta', () => {
    const source = [
      "// import { app } from 'electron';",
      "/* import 'electron';",
      "   import x from 'electron'; */",
      "const s = \"import x from 'electron'\";",
      "const t = `import x from 'electron' ${ { a: `nested ${1}` }.a } import('electron')`;",
      'const u = import.meta.url;',
      "const r = /'/g; const q = /[/'\"]/;",
      "const o = { import: 1, from: 'electron' };",
      "import { real } from 'after-all-that';",
    ].join('\n');
    expect(scanImports(source)).toEqual([{ specifier: 'after-all-that', line: 9, typeOnly: false }]);
  });
});

describe('layering rules', () => {
  it('flags electron, electron-store and main/electron in main/core, type-only included', () => {
    const source = [
      "import { app } from 'electron';",
      "import type { BrowserWindow } from 'electron/main';",
      "import Store from 'electron-store';",
      "import { tray } from '../electron/tray.js';",
      "import { readFile } from 'node:fs/promises';",
      "import { Client } from '@modelcontextprotocol/client';",
      "import { x } from './gateway-helpers.js';",
    ].join('\n');
    expect(checkSource('main/core/gateway.ts', source)).toEqual([
      'main/core/gateway.ts:1: main/core must not import "electron" (only main/electron may)',
      'main/core/gateway.ts:2: main/core must not import "electron/main" (only main/electron may)',
      'main/core/gateway.ts:3: main/core must not import "electron-store" (only main/electron may)',
      'main/core/gateway.ts:4: main/core must not import from main/electron ("../electron/tray.js")',
    ]);
    expect(checkSource('main/core/http/x.ts', "import '../../electron/main.js';")).toHaveLength(1);
  });

  it('flags Node builtins, electron, react and imports out of shared/ in shared/, except type-only', () => {
    const source = [
      "import { readFile } from 'node:fs';",
      "import path from 'path';",
      "import { promises } from 'fs/promises';",
      "import { ipcRenderer } from 'electron';",
      "import { useState } from 'react';",
      "import { Gateway } from '../main/core/gateway.js';",
      "export * from '../renderer/src/app.js';",
      "import type { IncomingMessage } from 'node:http';",
      "import type { Gateway as G } from '../main/core/gateway.js';",
      "import { z } from 'zod';",
      "import { checkServerName } from './server-config.js';",
      "import { type Stats } from 'node:fs';",
    ].join('\n');
    expect(checkSource('shared/config-schema.ts', source).map((line) => line.split(': ')[0])).toEqual([
      'shared/config-schema.ts:1',
      'shared/config-schema.ts:2',
      'shared/config-schema.ts:3',
      'shared/config-schema.ts:4',
      'shared/config-schema.ts:5',
      'shared/config-schema.ts:6',
      'shared/config-schema.ts:7',
      // Line 12: with verbatimModuleSyntax `import { type X }` still loads the module.
      'shared/config-schema.ts:12',
    ]);
  });

  it('leaves other folders alone', () => {
    expect(checkSource('main/electron/main.ts', "import { app } from 'electron';")).toEqual([]);
    expect(checkSource('test/unit/x.test.ts', "import fs from 'node:fs';")).toEqual([]);
  });
});

describe('the source tree', () => {
  it('main/core and shared/ follow the layering rules', () => {
    const files = [...listSources('main/core'), ...listSources('shared')];
    expect(files.some((f) => f.startsWith('main/core/'))).toBe(true);
    expect(files.some((f) => f.startsWith('shared/'))).toBe(true);
    let imports = 0;
    const violations = files.flatMap((file) => {
      const source = readFileSync(path.join(root, file), 'utf8');
      imports += scanImports(source).length;
      return checkSource(file, source);
    });
    // A scan that finds nothing would pass vacuously.
    expect(imports).toBeGreaterThan(files.length);
    expect(violations, `layering violations:\n${violations.join('\n')}`).toEqual([]);
  });
});
