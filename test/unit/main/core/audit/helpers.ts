import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AuditRecordInput } from '../../../../../main/core/audit/audit-event.js';
import { AuditStore, type AuditStoreOptions } from '../../../../../main/core/audit/audit-store.js';

/** Temp directories and stores made by a test file; `cleanup()` in afterEach closes and removes them. */
export class Scratch {
  readonly #dirs: string[] = [];
  readonly #stores: AuditStore[] = [];

  async dir(): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-audit-'));
    this.#dirs.push(dir);
    return dir;
  }

  /** Opens a store and waits until it is `ready`, unless `waitReady` is false. */
  async open(opts: Partial<AuditStoreOptions> & { dir: string }, waitReady = true): Promise<AuditStore> {
    const store = await AuditStore.open({ fsyncIntervalMs: 60_000, ...opts });
    this.#stores.push(store);
    if (waitReady) await store.ready;
    return store;
  }

  async cleanup(): Promise<void> {
    for (const store of this.#stores.splice(0)) await store.close();
    for (const dir of this.#dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  }
}

/** A tools/call request event; fields overridable. */
export function call(overrides: Partial<AuditRecordInput> = {}): AuditRecordInput {
  return {
    kind: 'request',
    way: 'aggregate',
    server: 'files',
    method: 'tools/call',
    target: 'read_file',
    args: { path: '/tmp/a.txt' },
    outcome: 'ok',
    durationMs: 5,
    client: { tokenName: 'laptop', name: 'claude-code', version: '2.1.0', ip: '127.0.0.1' },
    sessionId: 'session-1',
    ...overrides,
  };
}

/** Every file under `dir` (recursively) as one string, for "never reaches disk" checks. */
export async function allFileText(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const texts = await Promise.all(entries.filter((e) => e.isFile()).map((e) => readFile(path.join(e.parentPath, e.name), 'utf8')));
  return texts.join('\n');
}

/** Segment file names in `dir`, sorted. */
export async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.ndjson')).sort();
}

/** Collects an async iterable of text into one string. */
export async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const chunk of chunks) out += chunk;
  return out;
}
