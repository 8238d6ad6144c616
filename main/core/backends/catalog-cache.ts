import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ServerConfig } from '../../../shared/server-config.js';
import type { Catalog } from './catalog.js';

/**
 * The catalogs of the last runs of lazy servers, so the aggregate can list their tools while
 * they are stopped. With a directory it survives gateway restarts (`<dir>/<server>.json`);
 * without one it lives only in memory, i.e. a lazy server runs once per gateway start to fill it.
 *
 * Entries are keyed by a fingerprint of the server's runtime config: an edited command or
 * environment never reuses the tools of the old one.
 */
export class CatalogCache {
  readonly #memory = new Map<string, { fingerprint: string; catalog: Catalog }>();

  constructor(private readonly dir?: string) {}

  async load(name: string, config: ServerConfig): Promise<Catalog | undefined> {
    const fingerprint = fingerprintOf(config);
    const cached = this.#memory.get(name);
    if (cached) return cached.fingerprint === fingerprint ? cached.catalog : undefined;
    if (!this.dir) return undefined;
    try {
      const stored = JSON.parse(await readFile(this.#file(name), 'utf8')) as { fingerprint?: unknown; catalog?: unknown };
      if (stored.fingerprint !== fingerprint || !isCatalog(stored.catalog)) return undefined;
      this.#memory.set(name, { fingerprint, catalog: stored.catalog });
      return stored.catalog;
    } catch {
      return undefined; // missing or unreadable: the server runs once to fill it again
    }
  }

  async save(name: string, config: ServerConfig, catalog: Catalog): Promise<void> {
    const fingerprint = fingerprintOf(config);
    this.#memory.set(name, { fingerprint, catalog });
    if (!this.dir) return;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.#file(name);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ fingerprint, savedAt: new Date().toISOString(), catalog }), { mode: 0o600 });
    await rename(tmp, file);
  }

  async delete(name: string): Promise<void> {
    this.#memory.delete(name);
    if (this.dir) await rm(this.#file(name), { force: true });
  }

  #file(name: string): string {
    // Server names are [A-Za-z0-9_-]+, so they are safe file names.
    return path.join(this.dir!, `${name}.json`);
  }
}

/** A hash of what decides which tools a server offers (not its filter or supervision settings). */
function fingerprintOf(config: ServerConfig): string {
  const runtime =
    config.transport === 'stdio'
      ? { command: config.command, args: config.args, env: config.env, cwd: config.cwd ?? null }
      : { url: config.url, headers: config.headers };
  return createHash('sha256').update(JSON.stringify(runtime)).digest('hex');
}

function isCatalog(value: unknown): value is Catalog {
  const c = value as Partial<Catalog> | null;
  return typeof c === 'object' && c !== null && Array.isArray(c.tools) && Array.isArray(c.prompts) && Array.isArray(c.resources) && Array.isArray(c.resourceTemplates) && typeof c.capabilities === 'object';
}
