/**
 * A headless gateway for the e2e tests, set up as `gatehouse serve` sets it up: launch
 * approvals, an encrypted secret store (key in a file: no keyring in CI), and the audit
 * timeline with a redactor that knows the secrets. It serves the UI built by {@link buildUi}.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditStore, auditDir } from '../../../main/core/audit/audit-store.js';
import { createRedactor } from '../../../main/core/audit/redact.js';
import { ApprovalStore } from '../../../main/core/security/approvals.js';
import type { GatewayOptions } from '../../../main/core/gateway.js';
import { openHeadlessSecretStore, type HeadlessSecrets } from '../../../main/core/security/headless-secrets.js';
import { headlessSecretStoreStatus } from '../../../main/core/security/secret-store-status.js';
import { packageVersion } from '../../../main/core/version.js';
import { startGateway, type RunningGateway } from '../../integration/harness.js';

export const ADMIN_TOKEN = 'gth_e2e-admin-token';
export const CLIENT_TOKEN = 'gth_e2e-client-token';

export interface UiGateway extends RunningGateway {
  secrets: HeadlessSecrets;
}

/**
 * Starts the gateway with the UI; `gateway` overrides any option (another secret store, an
 * `openUrl`), as the desktop app would set them.
 */
export async function startUiGateway(uiDir: string, mcpServers: Record<string, unknown> = {}, gateway: Partial<GatewayOptions> = {}): Promise<UiGateway> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-e2e-state-'));
  const secrets = await openHeadlessSecretStore({ dataDir: stateDir, keyring: 'none' });
  const approvals = await ApprovalStore.open(stateDir);
  const gw = await startGateway(mcpServers, {
    adminToken: ADMIN_TOKEN,
    clientToken: CLIENT_TOKEN,
    secrets: secrets.store,
    // Another store (from `gateway`) speaks for itself.
    ...(gateway.secrets ? {} : { secretStoreStatus: () => headlessSecretStoreStatus(secrets) }),
    version: await packageVersion(),
    approvals,
    uiDir,
    startTimeoutMs: 20_000,
    openAudit: (dataDir) =>
      AuditStore.open({ dir: auditDir(dataDir), fsyncIntervalMs: 50, redactor: createRedactor({ secretValues: () => secrets.store.values() }) }),
    ...gateway,
  });
  return {
    ...gw,
    secrets,
    async stop() {
      await gw.stop();
      secrets.store.dispose();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
