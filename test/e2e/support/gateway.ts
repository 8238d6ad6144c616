/**
 * A headless gateway for the e2e tests, set up as `gatehouse serve` sets it up (the integration
 * harness: launch approvals, an encrypted secret store with its key in a file since CI has no
 * keyring, client and admin tokens, the audit timeline). It serves the UI built by
 * {@link buildUi}. The tokens are fixed (as `GATEHOUSE_ADMIN_TOKEN`/`GATEHOUSE_TOKEN`) so the
 * tests can type them into the sign-in form.
 */
import { packageVersion } from '../../../main/core/version.js';
import { startGateway, type RunningGateway, type StartOptions } from '../../integration/harness.js';

export const ADMIN_TOKEN = 'gth_e2e-admin-token';
export const CLIENT_TOKEN = 'gth_e2e-client-token';

export type UiGateway = RunningGateway;

/**
 * Starts the gateway with the UI; `options` overrides any option (another secret store, an
 * `openUrl`), as the desktop app would set them.
 */
export async function startUiGateway(uiDir: string, mcpServers: Record<string, unknown> = {}, options: StartOptions = {}): Promise<UiGateway> {
  return startGateway(mcpServers, {
    adminToken: ADMIN_TOKEN,
    clientToken: CLIENT_TOKEN,
    version: await packageVersion(),
    uiDir,
    startTimeoutMs: 20_000,
    ...options,
  });
}
