import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { ServerConfig } from '../../../shared/server-config.js';
import { DisposableStore } from '../base/disposable.js';
import { Emitter } from '../base/emitter.js';
import { Backend, type BackendDeps } from './backend.js';
import type { BackendLifecycleEvent, BackendState } from './backend-state.js';
import type { Catalog } from './catalog.js';
import { CatalogCache } from './catalog-cache.js';
import { createProcessReaper, type ProcessReaper } from './reaper.js';

/** A backend's state changed, or its catalog did. */
export type BackendEvent =
  | { kind: 'state'; server: string; state: BackendState }
  | { kind: 'catalog'; server: string; catalog: Catalog }
  | { kind: 'removed'; server: string };

/** What the manager needs besides what each backend needs. */
export interface BackendManagerDeps extends BackendDeps {
  /**
   * A directory of the gateway's own (the data dir, or a folder in it): the lazy servers'
   * catalog cache (`catalog-cache/`) and the pidfile of live backend processes
   * (`backends.pid.json`) go there. Without it both live in memory only.
   */
  stateDir?: string;
  /**
   * Guards against orphans when the gateway dies. Default: the watchdog process of
   * {@link createProcessReaper}; `false` turns it off (unit tests).
   */
  reaper?: ProcessReaper | false;
}

/**
 * Owns every backend. `apply` brings the set in line with the registry, touching only the
 * servers whose definition changed; failures become backend state, never exceptions.
 *
 * Lifecycle events of every backend (start, exit, restart, degraded, error, stop) come out of
 * {@link onDidLifecycle}, for the audit.
 */
export class BackendManager {
  readonly #backends = new Map<string, { backend: Backend; listeners: DisposableStore }>();
  readonly #onDidChange = new Emitter<BackendEvent>();
  readonly #onDidLifecycle = new Emitter<BackendLifecycleEvent>();
  readonly onDidChange = this.#onDidChange.event;
  readonly onDidLifecycle = this.#onDidLifecycle.event;
  readonly #reaper?: ProcessReaper;
  readonly #backendDeps: BackendDeps;

  constructor(deps: BackendManagerDeps) {
    const { stateDir, reaper, ...backendDeps } = deps;
    this.#reaper =
      reaper === false
        ? undefined
        : (reaper ??
          createProcessReaper({
            logger: deps.logger.child('reaper'),
            ...(stateDir ? { pidFile: path.join(stateDir, 'backends.pid.json') } : {}),
          }));
    this.#backendDeps = {
      ...backendDeps,
      ...(this.#reaper ? { processWatcher: this.#reaper } : {}),
      catalogCache: backendDeps.catalogCache ?? new CatalogCache(stateDir ? path.join(stateDir, 'catalog-cache') : undefined),
    };
  }

  get(name: string): Backend | undefined {
    return this.#backends.get(name)?.backend;
  }

  /** All backends, in registry order. */
  all(): Backend[] {
    return [...this.#backends.values()].map((entry) => entry.backend);
  }

  /**
   * Backends of enabled servers that requests may be routed to, in registry order: running,
   * degraded, and dormant lazy servers (listed from their cached catalog, started on first use).
   */
  running(): Backend[] {
    return this.all().filter((b) => b.config.enabled && b.isRoutable);
  }

  /**
   * Makes the backends match `servers` (name → config, in order): new ones are created and
   * started when enabled, changed ones restarted, removed ones stopped. Servers whose
   * definition did not change are not touched. Resolves when every start has settled.
   */
  async apply(servers: ReadonlyArray<{ name: string; config: ServerConfig }>): Promise<void> {
    // Leftovers of a crashed previous run go before anything new is spawned.
    await this.#reaper?.reapLeftovers();
    const wanted = new Map(servers.map((s) => [s.name, s.config]));
    const work: Array<Promise<void>> = [];
    for (const name of [...this.#backends.keys()]) if (!wanted.has(name)) work.push(this.remove(name));
    for (const { name, config } of servers) {
      const existing = this.#backends.get(name)?.backend;
      if (existing && sameRuntimeConfig(existing.config, config)) {
        if (config.enabled && existing.state.status === 'stopped' && !existing.isDormant) work.push(existing.activate());
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
    await this.#backendDeps.catalogCache?.delete(name).catch(() => {});
    this.#onDidChange.fire({ kind: 'removed', server: name });
  }

  /** Stops every backend and ends the watchdog. */
  async stopAll(): Promise<void> {
    try {
      await Promise.allSettled(this.all().map((b) => b.stop('gateway stopped')));
    } finally {
      await this.#reaper?.dispose();
    }
  }

  async #replace(name: string, config: ServerConfig): Promise<void> {
    const old = this.#backends.get(name);
    if (old) {
      await old.backend.stop('configuration changed');
      old.listeners.dispose();
      old.backend.dispose();
    }
    const backend = new Backend(name, config, this.#backendDeps);
    const listeners = new DisposableStore();
    listeners.add(backend.onDidChangeState((state) => this.#onDidChange.fire({ kind: 'state', server: name, state })));
    listeners.add(backend.onDidChangeCatalog((catalog) => this.#onDidChange.fire({ kind: 'catalog', server: name, catalog })));
    listeners.add(backend.onDidLifecycle((event) => this.#onDidLifecycle.fire(event)));
    this.#backends.set(name, { backend, listeners });
    if (config.enabled) await backend.activate();
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
