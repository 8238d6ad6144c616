import { Client } from '@modelcontextprotocol/client';
import type { ClientCapabilities, Implementation, LoggingLevel, Result } from '@modelcontextprotocol/client';
import type { Backend } from '../backends/backend.js';
import { toProtocolError } from './front-handlers.js';

/** Where an upstream client sends what its backend asks or says on its own. */
export interface UpstreamHandlers {
  /** A server-to-client request (sampling, elicitation, roots) for the front client to answer. */
  toFront(request: { method: string; params?: Record<string, unknown> }): Promise<Result>;
  onLog?(params: { level: LoggingLevel; logger?: string; data?: unknown }): void;
  onResourceUpdated?(params: { uri: string }): void;
}

/** Only the capabilities the gateway can relay, and only those the front client has. */
export function mirrorCapabilities(front: ClientCapabilities | undefined): ClientCapabilities {
  const caps: ClientCapabilities = {};
  if (front?.sampling) caps.sampling = front.sampling;
  if (front?.elicitation) caps.elicitation = front.elicitation;
  if (front?.roots) caps.roots = { listChanged: true };
  return caps;
}

/**
 * A client of `backend` on behalf of one front client (a 2025-era session, or one 2026-07-28
 * request that may need input). It advertises only `capabilities`, so the backend asks only
 * what the front client can answer; remote backends are reached in the era found at start.
 */
export async function openUpstreamClient(
  backend: Backend,
  info: Implementation,
  capabilities: ClientCapabilities,
  handlers: UpstreamHandlers,
): Promise<Client> {
  const remote = backend.config.transport !== 'stdio';
  const client = new Client(info, {
    capabilities,
    ...(remote ? { versionNegotiation: { mode: 'auto' as const } } : {}),
  });
  const toFront = (req: { method: string; params?: Record<string, unknown> }) => handlers.toFront(req) as never;
  if (capabilities.sampling) client.setRequestHandler('sampling/createMessage', toFront);
  if (capabilities.elicitation) client.setRequestHandler('elicitation/create', toFront);
  if (capabilities.roots) client.setRequestHandler('roots/list', toFront);
  if (handlers.onLog) client.setNotificationHandler('notifications/message', (n) => handlers.onLog!(n.params));
  if (handlers.onResourceUpdated) {
    client.setNotificationHandler('notifications/resources/updated', (n) => handlers.onResourceUpdated!(n.params));
  }
  if (backend.config.transport === 'stdio' && backend.config.isolation === 'per-client') {
    // No shared cache client watches per-client processes: this session's list changes count,
    // for the clients with its capabilities.
    for (const kind of ['tools', 'prompts', 'resources'] as const) {
      client.setNotificationHandler(`notifications/${kind}/list_changed`, () => {
        void backend.refreshCatalog([kind], client, capabilities).catch(() => {});
      });
    }
  }
  const transport = await backend.openSessionTransport();
  try {
    const prior = remote ? backend.priorDiscovery : undefined;
    await client.connect(transport, { timeout: backend.requestTimeoutMs, ...(prior ? { prior } : {}) });
  } catch (error) {
    await transport.close().catch(() => {});
    throw toProtocolError(backend.name, error, { method: 'initialize' });
  }
  return client;
}
