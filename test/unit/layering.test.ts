/**
 * Layering rules (STYLE.md §3), checked on the import specifiers of every source file:
 *
 * - `main/core/` is plain Node: no `electron`, no `electron-store`, nothing under `main/electron/`
 *   (not even type-only: the core must build and run without Electron installed);
 * - `shared/` runs in every process (main, preload, renderer, a browser): no `node:*` or other
 *   Node builtins, no `electron`, no React, and no runtime import that leaves `shared/` (so
 *   nothing from `main/` or `renderer/`). Type-only imports are fine there: they are erased;
 * - in `main/electron/`, only the shell (`main.ts`, `prefs.ts`) loads `electron` at run time: the
 *   rest (tray model, window policy, IPC handlers, desktop app) is tested under plain Node.
 *
 * The scanner is a small tokenizer rather than a regex over the text, so imports that only
 * appear in comments, strings or template literals are not counted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scanImports, type ImportRef } from '../support/import-scanner.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

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

/** The thin Electron shell: the only files that load `electron` / `electron-store` at run time. */
const ELECTRON_SHELL_FILES = new Set(['main/electron/main.ts', 'main/electron/prefs.ts']);

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
  if (isUnder(file, 'main/electron') && !ELECTRON_SHELL_FILES.has(file)) {
    // The shell's decisions are tested under plain Node, where electron cannot be loaded.
    if (!ref.typeOnly && (isPackage(spec, 'electron') || isPackage(spec, 'electron-store'))) {
      return `${file} must not import "${spec}" at run time (only ${[...ELECTRON_SHELL_FILES].join(' and ')} may; a type-only import is fine)`;
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
  it('lets only the shell files of main/electron load electron at run time', () => {
    const source = ["import { app } from 'electron';", "import type { Rectangle } from 'electron';"].join('\n');
    expect(checkSource('main/electron/tray-model.ts', source)).toHaveLength(1);
    expect(checkSource('main/electron/main.ts', source)).toEqual([]);
  });

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
  it('main/core, main/electron and shared/ follow the layering rules', () => {
    const files = [...listSources('main/core'), ...listSources('main/electron'), ...listSources('shared')];
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
