/**
 * The renderer's layering rule (STYLE.md §3): it talks to the gateway only through the control
 * API in shared/, so it runs unchanged in the Electron window and in a browser. No Node
 * builtins, no electron, nothing from main/ or preload/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scanImports } from '../../support/import-scanner.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BUILTINS = new Set(builtinModules);

function problem(file: string, spec: string): string | undefined {
  if (spec.startsWith('node:') || BUILTINS.has(spec.split('/')[0]!)) return `Node builtin "${spec}"`;
  if (spec === 'electron' || spec.startsWith('electron/')) return `"${spec}"`;
  if (spec.startsWith('.')) {
    const target = path.relative(root, path.resolve(path.dirname(path.join(root, file)), spec)).split(path.sep).join('/');
    if (!target.startsWith('renderer/') && !target.startsWith('shared/')) return `"${spec}" (outside renderer/ and shared/)`;
  }
  return undefined;
}

describe('renderer layering', () => {
  it('imports only React, its own files and shared/', () => {
    const dir = path.join(root, 'renderer/src');
    const files = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts'))
      .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
    expect(files.length).toBeGreaterThan(10);
    const violations = files.flatMap((file) =>
      scanImports(readFileSync(path.join(root, file), 'utf8')).flatMap((ref) => {
        const p = problem(file, ref.specifier);
        return p ? [`${file}:${ref.line}: ${p}`] : [];
      }),
    );
    expect(violations).toEqual([]);
    expect(problem('renderer/src/x.ts', 'node:fs')).toBeDefined();
    expect(problem('renderer/src/x.ts', '../../main/core/gateway.js')).toBeDefined();
  });
});
