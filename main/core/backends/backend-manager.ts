import { isDeepStrictEqual } from 'node:util';
import type { ServerConfig } from '../../../shared/server-config.js';
import { DisposableStore } from '../base/disposable.js';
import { Emitter } from '../base/emitter.js';
import { Backend, type BackendDeps, type BackendState, type Catalog } from './backend.js';

/** A backend's state changed, or its catalog did. */
export type BackendEvent =
  | { kind: 'state'; server: string; state: BackendState }
  | { kind: 'catalog'; server: string; catalog: Catalog }
  | { kind: 'removed'; server: string };

/**
 * Owns every backend. `apply` brings the set in line with the registry, touching only the
 * servers whose definition changed; failures become backend state, never exceptions.
 */
export class BackendManager {
  readonly #backends = new Map<string, { backend: Backend; listeners: DisposableStore }>();
  readonly #onDidChange = new Emitter<BackendEvent>();
  readonly onDidChange = this.#onDidChange.event;

  constructor(private readonly deps: BackendDeps) {}

  get(name: string): Backend | undefined {
    return this.#backends.get(name)?.backend;
  }

  /** All backends, in registry order. */
  all(): Backend[] {
    return [...this.#backends.values()].map((entry) => entry.backend);
  }

  /** Running backends of enabled servers, in registry order. */
  running(): Backend[] {
    return this.all().filter((b) => b.config.enabled && b.state.status === 'running');
  }

  /**
   * Makes the backends match `servers` (name → config, in order): new ones are created and
   * started when enabled, changed ones restarted, removed ones stopped. Resolves when every
   * start has settled.
   */
  async apply(servers: ReadonlyArray<{ name: string; config: ServerConfig }>): Promise<void> {
    const wanted = new Map(servers.map((s) => [s.name, s.config]));
    const work: Array<Promise<void>> = [];
    for (const name of [...this.#backends.keys()]) if (!wanted.has(name)) work.push(this.remove(name));
    for (const { name, config } of servers) {
      const existing = this.#backends.get(name)?.backend;
      if (existing && sameRuntimeConfig(existing.config, config)) {
        if (config.enabled && existing.state.status === 'stopped') work.push(existing.start());
        continue;
      }
      work.push(this.#replace(name, config));
    }
    await Promise.all(work);
    this.#reorder(servers.map((s) => s.name));
  }

  async remove(name: string): Promise<void> {
    const entry = this.#backends.get(name);
    if (!entry) return;
    this.#backends.delete(name);
    await entry.backend.stop('removed');
    entry.listeners.dispose();
    entry.backend.dispose();
    this.#onDidChange.fire({ kind: 'removed', server: name });
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled(this.all().map((b) => b.stop('gateway stopped')));
  }

  async #replace(name: string, config: ServerConfig): Promise<void> {
    const old = this.#backends.get(name);
    if (old) {
      await old.backend.stop('configuration changed');
      old.listeners.dispose();
      old.backend.dispose();
    }
    const backend = new Backend(name, config, this.deps);
    const listeners = new DisposableStore();
    listeners.add(backend.onDidChangeState((state) => this.#onDidChange.fire({ kind: 'state', server: name, state })));
    listeners.add(backend.onDidChangeCatalog((catalog) => this.#onDidChange.fire({ kind: 'catalog', server: name, catalog })));
    this.#backends.set(name, { backend, listeners });
    if (config.enabled) await backend.start();
  }

  #reorder(order: string[]): void {
    const entries = order.flatMap((name) => {
      const entry = this.#backends.get(name);
      return entry ? [[name, entry] as const] : [];
    });
    this.#backends.clear();
    for (const [name, entry] of entries) this.#backends.set(name, entry);
  }
}

/** The tool filter is read from the registry on every request: changing it needs no restart. */
export function sameRuntimeConfig(a: ServerConfig, b: ServerConfig): boolean {
  return isDeepStrictEqual({ ...a, toolFilter: undefined }, { ...b, toolFilter: undefined });
}
