/**
 * What one backend offers clients of different capabilities. A server may register tools only
 * for clients that can answer what they ask (server-everything's `get-roots-list` needs
 * `roots`), and a backend reached over one upstream session per client (remote servers,
 * per-client stdio) is asked with that client's own capabilities: so each capability set gets
 * the catalog such a session sees, read once and kept until the backend's catalog changes or it
 * stops.
 */
import { Client } from '@modelcontextprotocol/client';
import type { ClientCapabilities, Implementation, PriorDiscovery, Transport } from '@modelcontextprotocol/client';
import type { ServerConfig } from '../../../shared/server-config.js';
import { readCatalog, type Catalog } from './catalog.js';

/** A stable key for a capability set: the same capabilities, in any key order, give the same key. */
export function capabilityKey(capabilities: ClientCapabilities): string {
  return JSON.stringify(capabilities, (_key, value: unknown) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}

/** Catalogs per capability set, each read on first need by `read`. */
export class CapabilityCatalogs {
  #byKey = new Map<string, Promise<Catalog>>();

  constructor(private readonly read: (capabilities: ClientCapabilities) => Promise<Catalog>) {}

  /** The catalog a client with `capabilities` sees; read once, concurrent askers share the read. */
  get(capabilities: ClientCapabilities): Promise<Catalog> {
    const key = capabilityKey(capabilities);
    let catalog = this.#byKey.get(key);
    if (!catalog) {
      catalog = this.read(capabilities);
      this.#byKey.set(key, catalog);
    }
    return catalog;
  }

  /** The catalog already read for `capabilities`, if any. */
  peek(capabilities: ClientCapabilities): Promise<Catalog> | undefined {
    return this.#byKey.get(capabilityKey(capabilities));
  }

  /** Replaces what clients with `capabilities` see (their session said its lists changed). */
  set(capabilities: ClientCapabilities, catalog: Catalog): void {
    this.#byKey.set(capabilityKey(capabilities), Promise.resolve(catalog));
  }

  /** Forgets every catalog (the backend's own changed, or it stopped). */
  clear(): void {
    this.#byKey.clear();
  }
}

/** What {@link readCatalogAs} needs of a backend. */
export interface CatalogSource {
  readonly config: ServerConfig;
  readonly requestTimeoutMs: number;
  /** The era verdict of the backend's start (remote backends), so the session skips the probe. */
  readonly priorDiscovery: PriorDiscovery | undefined;
  openSessionTransport(): Promise<Transport>;
}

/**
 * The catalog `source` lists to a session of its own that advertises `capabilities` (a new
 * upstream connection, or a process for per-client stdio), closed again once it is read.
 * Server-to-client requests on it get "method not found": it is only listed.
 */
export async function readCatalogAs(source: CatalogSource, info: Implementation, capabilities: ClientCapabilities): Promise<Catalog> {
  const client = new Client(info, {
    capabilities,
    ...(source.config.transport !== 'stdio' ? { versionNegotiation: { mode: 'auto' as const } } : {}),
  });
  const transport = await source.openSessionTransport();
  try {
    const prior = source.priorDiscovery;
    await client.connect(transport, { timeout: source.requestTimeoutMs, ...(prior ? { prior } : {}) });
    return await readCatalog(client);
  } finally {
    await client.close().catch(() => {});
    await transport.close().catch(() => {});
  }
}
