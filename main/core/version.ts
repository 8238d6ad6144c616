import { readFile } from 'node:fs/promises';

let cached: Promise<string> | undefined;

/** Gatehouse's version from package.json (found from this module's place in source or dist). */
export function packageVersion(): Promise<string> {
  cached ??= (async () => {
    for (const relative of ['../../package.json', '../../../package.json']) {
      try {
        const pkg = JSON.parse(await readFile(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'gatehouse' && pkg.version) return pkg.version;
      } catch {
        // Not at this depth: try the next.
      }
    }
    return '0.0.0';
  })();
  return cached;
}
