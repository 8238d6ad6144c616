import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientCapabilities } from '@modelcontextprotocol/client';
import { parseMcpServersConfig } from '../../shared/config-schema.js';
import { nullLogger } from '../../main/core/base/logger.js';
import { Registry } from '../../main/core/config/registry.js';
import { Gateway, type GatewayOptions } from '../../main/core/gateway.js';
import type { AuditStore } from '../../main/core/audit/audit-store.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Paths of the real MCP servers installed as devDependencies. */
export const SERVERS = {
  everything: path.join(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'),
  memory: path.join(root, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js'),
};

/** The SDK fixture server for faults and facts the reference servers can't show. */
export const FIXTURE_SERVER = path.join(root, 'test/fixtures/fixture-server.mjs');

/** A file the fixture server appends `<label>:<tool>` to on every call (env FIXTURE_CALL_LOG). */
export async function makeCallLog(): Promise<{ path: string; read(): Promise<string>; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-calls-'));
  const file = path.join(dir, 'calls.log');
  return {
    path: file,
    read: () => readFile(file, 'utf8'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface RunningGateway {
  gateway: Gateway;
  url: string;
  dataDir: string;
  /** The audit store, when the test asked for one. */
  audit?: AuditStore;
  stop(): Promise<void>;
}

/** Starts a gateway on 127.0.0.1:0 with `mcpServers` (raw, user-style JSON entries). */
export async function startGateway(
  mcpServers: Record<string, unknown>,
  options: Partial<GatewayOptions> & { openAudit?: (dataDir: string) => Promise<AuditStore> } = {},
): Promise<RunningGateway> {
  const { openAudit, ...gatewayOptions } = options;
  const parsed = parseMcpServersConfig({ mcpServers });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-test-'));
  const registry = await Registry.open(dataDir);
  await registry.importServers(parsed.servers);
  const audit = openAudit ? await openAudit(dataDir) : undefined;
  const gateway = new Gateway({
    registry,
    dataDir,
    host: '127.0.0.1',
    port: 0,
    stdioEnv: { PATH: process.env.PATH ?? '' },
    logger: nullLogger,
    version: '0.0.0-test',
    ...(audit ? { audit } : {}),
    ...gatewayOptions,
  });
  const { url } = await gateway.start();
  return {
    gateway,
    url,
    dataDir,
    ...(audit ? { audit } : {}),
    async stop() {
      await gateway.stop();
      await audit?.close();
      registry.dispose();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** An official SDK client connected to `url` over streamable HTTP (or legacy SSE). */
export async function connectClient(
  url: string,
  opts: { capabilities?: ClientCapabilities; sse?: boolean; headers?: Record<string, string>; name?: string } = {},
): Promise<Client> {
  const client = new Client({ name: opts.name ?? 'test-client', version: '1.0.0' }, { capabilities: opts.capabilities ?? {} });
  const requestInit = { headers: opts.headers ?? {} };
  const transport = opts.sse
    ? new SSEClientTransport(new URL(url), { requestInit })
    : new StreamableHTTPClientTransport(new URL(url), { requestInit });
  await client.connect(transport);
  return client;
}

/** The text of a tool result's content blocks, joined by newlines. */
export function text(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((c) => c.text ?? '').join('\n');
}

/** Clients a test opens, closed together in `afterEach`. */
export function clientPool(): { connect: typeof connectClient; forget(client: Client): void; closeAll(): Promise<void> } {
  const clients: Client[] = [];
  return {
    async connect(...args) {
      const client = await connectClient(...args);
      clients.push(client);
      return client;
    },
    forget(client) {
      clients.splice(clients.indexOf(client), 1);
    },
    async closeAll() {
      await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    },
  };
}
