import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientCapabilities } from '@modelcontextprotocol/client';
import { parseMcpServersConfig } from '../../shared/config-schema.js';
import { nullLogger, type Logger } from '../../main/core/base/logger.js';
import type { AuditStore } from '../../main/core/audit/audit-store.js';
import type { Registry } from '../../main/core/config/registry.js';
import type { Gateway } from '../../main/core/gateway.js';
import { openGatewayHost, type GatewayHost, type GatewayHostOptions } from '../../main/core/gateway-host.js';
import type { ApprovalStore } from '../../main/core/security/approvals.js';
import { openHeadlessSecretStore } from '../../main/core/security/headless-secrets.js';
import { extractSecrets } from '../../main/core/security/import-secrets.js';
import type { SecretStore } from '../../main/core/security/secret-store.js';
import { headlessSecretStoreStatus } from '../../main/core/security/secret-store-status.js';
import type { TokenAcl } from '../../main/core/security/acl.js';
import type { TokenStore } from '../../main/core/security/token-store.js';

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

/** Options of {@link startGateway}: what the test sets besides the servers. */
export type StartOptions = NonNullable<GatewayHostOptions['gateway']> & {
  /** Port to listen on (default 0: a free one). */
  port?: number;
  /** A fixed admin token, as `GATEHOUSE_ADMIN_TOKEN` (default: one created like the first `serve` does). */
  adminToken?: string;
  /** A fixed full-access client token, as `GATEHOUSE_TOKEN` (default: one created in the token store). */
  clientToken?: string;
  /**
   * Start with no client token at all, so the MCP endpoints are open on loopback. Only for tests
   * of that mode (a user who never created a token); everything else runs with a token.
   */
  noClientToken?: boolean;
  /** Another secret store (the desktop's); default the encrypted file `serve` opens. */
  secretStore?: SecretStore & { dispose?(): void };
  /** Secrets set before the servers are imported (their `${secret:...}` references resolve). */
  presetSecrets?: Record<string, string>;
  /** The token store's own options (default: `lastUsedAt` flushed after 50 ms). */
  tokenOptions?: GatewayHostOptions['tokenOptions'];
  /** Where the gateway logs (default: nowhere), for tests of what it says. */
  logger?: Logger;
};

export interface RunningGateway {
  gateway: Gateway;
  /** The stores the gateway was opened with, as `openGatewayHost` returned them. */
  host: GatewayHost;
  registry: Registry;
  tokens: TokenStore;
  approvals: ApprovalStore;
  secrets: SecretStore;
  audit: AuditStore;
  url: string;
  dataDir: string;
  /** The default client token's secret (`undefined` with `noClientToken`); {@link connectClient} uses it. */
  clientToken: string | undefined;
  /** The admin token's secret. */
  adminToken: string;
  /** `fetch` of a path of the gateway as the default client token. */
  request(p: string, init?: RequestInit): Promise<Response>;
  /** `fetch` of an admin path with the admin token (JSON body). */
  admin(p: string, init?: RequestInit): Promise<Response>;
  /**
   * Approves a stdio server's launch through the admin API, as the user does in the UI after
   * adding one, and answers the server's view once the start has settled.
   */
  approveServer(name: string): Promise<Record<string, unknown>>;
  /** A client token created through the admin API, as a user would; its secret and id. */
  createToken(name: string, acl?: Partial<TokenAcl>): Promise<{ id: string; secret: string }>;
  stop(): Promise<void>;
}

/** The default client token of each running test gateway, by origin (for {@link connectClient}). */
const defaultTokens = new Map<string, string>();

/**
 * Starts a gateway on 127.0.0.1 the way `gatehouse serve --config` does (`openGatewayHost`:
 * token, approval, encrypted secret and audit stores; default limits): credentials of
 * `mcpServers` (raw, user-style JSON entries) move to the secret store, the servers are imported
 * and count as approved, an admin token and a full-access client token exist.
 */
export async function startGateway(mcpServers: Record<string, unknown>, options: StartOptions = {}): Promise<RunningGateway> {
  const { port = 0, adminToken, clientToken, noClientToken, secretStore, presetSecrets, tokenOptions, logger = nullLogger, ...gatewayOptions } = options;
  const parsed = parseMcpServersConfig({ mcpServers });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-test-'));
  const headless = secretStore ? undefined : await openHeadlessSecretStore({ dataDir, keyring: 'none' });
  const secrets = secretStore ?? headless!.store;
  const host = await openGatewayHost({
    dataDir,
    host: '127.0.0.1',
    port,
    logger,
    env: { ...(adminToken ? { GATEHOUSE_ADMIN_TOKEN: adminToken } : {}), ...(clientToken ? { GATEHOUSE_TOKEN: clientToken } : {}) },
    secrets,
    tokenOptions: { lastUsedFlushMs: 50, ...tokenOptions },
    gateway: {
      startTimeoutMs: 10_000,
      ...(headless ? { secretStoreStatus: () => headlessSecretStoreStatus(headless) } : {}),
      ...gatewayOptions,
    },
  });
  const { gateway, registry, tokens, approvals, audit } = host;
  for (const [name, value] of Object.entries(presetSecrets ?? {})) await secrets.set(name, value);
  const { servers } = await extractSecrets(parsed.servers, secrets);
  await registry.importServers(servers);
  for (const [name, config] of Object.entries(servers)) await approvals.approve(name, config, 'config-file');
  const admin = adminToken ?? (await tokens.ensureAdminToken())!;
  const client = noClientToken ? undefined : (clientToken ?? (await tokens.create('test-client')).secret);
  // As serve does: start, then record the URL in the data dir's lock.
  const { url } = await host.start();
  if (client) defaultTokens.set(new URL(url).origin, client);
  // A request that brings its own Authorization (another token, a wrong one) sends only that.
  const withAuth = (secret: string | undefined, init: RequestInit, extra: Record<string, string> = {}): RequestInit => {
    const headers = (init.headers ?? {}) as Record<string, string>;
    const own = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
    return { ...init, headers: { ...(secret && !own ? bearer(secret) : {}), ...extra, ...headers } };
  };
  const adminFetch = (p: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${url}${p}`, withAuth(admin, init, { 'content-type': 'application/json' }));
  return {
    gateway,
    host,
    registry,
    tokens,
    approvals,
    secrets,
    audit,
    url,
    dataDir,
    clientToken: client,
    adminToken: admin,
    request: (p, init = {}) => fetch(`${url}${p}`, withAuth(client, init)),
    admin: adminFetch,
    async approveServer(name) {
      const res = await adminFetch(`/admin/servers/${encodeURIComponent(name)}/approve`, { method: 'POST' });
      if (res.status !== 200) throw new Error(`approving "${name}" answered ${res.status}: ${await res.text()}`);
      return (await (await adminFetch(`/admin/servers/${encodeURIComponent(name)}`)).json()) as Record<string, unknown>;
    },
    async createToken(name, acl) {
      const res = await adminFetch('/admin/tokens', { method: 'POST', body: JSON.stringify({ name, ...(acl ? { acl } : {}) }) });
      if (res.status !== 201) throw new Error(`creating token "${name}" answered ${res.status}: ${await res.text()}`);
      const body = (await res.json()) as { token: { id: string }; secret: string };
      return { id: body.token.id, secret: body.secret };
    },
    async stop() {
      defaultTokens.delete(new URL(url).origin);
      await host.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The headers a configured client of the test gateway at `url`'s origin sends: its default
 * client token (none with `noClientToken`). For clients the harness does not build itself
 * (SDK v1, raw requests).
 */
export function clientAuth(url: string): Record<string, string> {
  const token = defaultTokens.get(new URL(url).origin);
  return token ? bearer(token) : {};
}

/** `Authorization` for `secret`, as a client config sends it. */
export function bearer(secret: string): Record<string, string> {
  return { authorization: `Bearer ${secret}` };
}

/**
 * An official SDK client connected to `url` over streamable HTTP (or legacy SSE). It sends the
 * default client token of the test gateway at that origin, as a configured AI client would,
 * unless `token` names another one (`null`: no token at all).
 */
export async function connectClient(
  url: string,
  opts: { capabilities?: ClientCapabilities; sse?: boolean; headers?: Record<string, string>; name?: string; token?: string | null } = {},
): Promise<Client> {
  const client = new Client({ name: opts.name ?? 'test-client', version: '1.0.0' }, { capabilities: opts.capabilities ?? {} });
  const own = Object.keys(opts.headers ?? {}).some((name) => name.toLowerCase() === 'authorization');
  const auth = own ? {} : opts.token === undefined ? clientAuth(url) : opts.token ? bearer(opts.token) : {};
  const requestInit = { headers: { ...auth, ...opts.headers } };
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
