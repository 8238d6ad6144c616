/**
 * A gateway built the way `gatehouse serve --config` builds it (`openGatewayHost` with the token,
 * approval, secret and audit stores; the file's servers imported and approved; an admin token),
 * for tests that use it with real client tokens made through the admin API.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { parseMcpServersConfig } from '../../shared/config-schema.js';
import { nullLogger, type Logger } from '../../main/core/base/logger.js';
import { openGatewayHost, type GatewayHost } from '../../main/core/gateway-host.js';
import { openHeadlessSecretStore } from '../../main/core/security/headless-secrets.js';
import { extractSecrets } from '../../main/core/security/import-secrets.js';

export interface ServeGateway {
  url: string;
  host: GatewayHost;
  /** A request to the admin API with the admin token. */
  admin(path: string, init?: RequestInit): Promise<Response>;
  /** A client token's secret, created through the admin API as a user would. */
  createToken(name: string, acl?: unknown): Promise<string>;
  stop(): Promise<void>;
}

/** Starts a gateway on 127.0.0.1:0 over `mcpServers` (user-style entries), as `serve --config` does. */
export async function startServeGateway(mcpServers: Record<string, unknown>, opts: { logger?: Logger } = {}): Promise<ServeGateway> {
  const parsed = parseMcpServersConfig({ mcpServers });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-serve-'));
  const { store: secrets } = await openHeadlessSecretStore({ dataDir, keyring: 'none' });
  const host = await openGatewayHost({ dataDir, host: '127.0.0.1', port: 0, logger: opts.logger ?? nullLogger, env: {}, secrets, gateway: { startTimeoutMs: 20_000 } });
  const { servers } = await extractSecrets(parsed.servers, secrets);
  await host.registry.importServers(servers);
  for (const [name, config] of Object.entries(servers)) await host.approvals.approve(name, config, 'config-file');
  const adminSecret = (await host.tokens.ensureAdminToken())!;
  const { url } = await host.gateway.start();
  const admin = (p: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${url}${p}`, { ...init, headers: { authorization: `Bearer ${adminSecret}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  return {
    url,
    host,
    admin,
    async createToken(name, acl) {
      const res = await admin('/admin/tokens', { method: 'POST', body: JSON.stringify({ name, ...(acl ? { acl } : {}) }) });
      expect(res.status).toBe(201);
      return ((await res.json()) as { secret: string }).secret;
    },
    async stop() {
      await host.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Client headers carrying `secret` as a bearer token. */
export const bearer = (secret: string): Record<string, string> => ({ authorization: `Bearer ${secret}` });
