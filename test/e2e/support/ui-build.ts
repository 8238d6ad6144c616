/**
 * Builds the control UI once per test run into a temporary folder (never into dist/, which
 * other test runs may be serving), with the project's own vite.config.ts.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export async function buildUi(): Promise<string> {
  const outDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-ui-'));
  await build({
    configFile: path.join(root, 'vite.config.ts'),
    root: path.join(root, 'renderer'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}
