/**
 * The gateway under test, in its own process: built the way `gatehouse serve` builds it
 * (registry in a temp data dir, the audit store with the serve-time redactor), minus the
 * token, secret and approval stores, which cost nothing per request while no client token
 * exists. Audit can be turned off, which `serve` cannot do.
 *
 *   forked by the benchmark: node out/bench/bench/gateway-host.js '<json: {mcpServers, audit}>'
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseMcpServersConfig } from '../shared/config-schema.js';
import { AuditStore, auditDir } from '../main/core/audit/audit-store.js';
import { createRedactor } from '../main/core/audit/redact.js';
import { createLogger } from '../main/core/base/logger.js';
import { Registry } from '../main/core/config/registry.js';
import { Gateway } from '../main/core/gateway.js';
import { failToParent, serveParent } from './child.js';

/** What the parent asks for. */
export interface GatewayHostConfig {
  mcpServers: Record<string, unknown>;
  audit: boolean;
}

try {
  const config = JSON.parse(process.argv[2] ?? '{}') as GatewayHostConfig;
  const parsed = parseMcpServersConfig({ mcpServers: config.mcpServers });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-bench-gw-'));
  const logger = createLogger('gatehouse', { level: 'warn' });
  const registry = await Registry.open(dataDir, { logger: logger.child('registry') });
  await registry.importServers(parsed.servers);
  const audit = config.audit
    ? await AuditStore.open({ dir: auditDir(dataDir), logger: logger.child('audit'), redactor: createRedactor({ secretValues: () => [], clientTokens: () => [] }) })
    : undefined;
  const gateway = new Gateway({
    registry,
    dataDir,
    host: '127.0.0.1',
    port: 0,
    stdioEnv: { PATH: process.env.PATH ?? '' },
    logger,
    version: '0.0.0-bench',
    ...(audit ? { audit } : {}),
  });
  const { url } = await gateway.start();
  const servers = gateway.listServers().map((s) => ({ name: s.name, status: s.status, toolCount: s.toolCount }));
  serveParent({ url, servers }, async () => {
    await gateway.stop();
    await audit?.close();
    registry.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });
} catch (error) {
  failToParent(error);
}
