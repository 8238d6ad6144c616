/**
 * The running gateway's tool list, read through its admin API (`GET /admin/tools`, the call the
 * Clients screen makes) with the admin token in `GATEHOUSE_ADMIN_TOKEN`: what `gatehouse client`
 * counts and measures for a client's tool-count and name-length warnings.
 */
import type { ListedTool } from '../../shared/client-configs/index.js';
import { errorMessage } from '../core/base/logger.js';

/** How long `client show` waits for the gateway before it prints the snippet without the check. */
const LIVE_TOOLS_TIMEOUT_MS = 3_000;

/** The tools, or why they could not be read (worded to follow "not checked: "). */
export type LiveTools = { ok: true; tools: ListedTool[] } | { ok: false; why: string };

/** Reads the tool list of the gateway at `gatewayUrl` (its origin is used). */
export async function readLiveTools(gatewayUrl: string, env: Readonly<Record<string, string | undefined>>, doFetch: typeof fetch = fetch): Promise<LiveTools> {
  const token = env.GATEHOUSE_ADMIN_TOKEN;
  if (!token) return { ok: false, why: 'set GATEHOUSE_ADMIN_TOKEN to an admin token to check them against the running gateway' };
  let origin: string;
  try {
    origin = new URL(gatewayUrl).origin;
  } catch {
    return { ok: false, why: `"${gatewayUrl}" is not a URL` };
  }
  // Loaded only with a token to use: `client show` without one stays light.
  const [{ createHttpControlApi }, { ControlApiError }] = await Promise.all([import('../../shared/control-api-http.js'), import('../../shared/control-api.js')]);
  const api = createHttpControlApi({
    baseUrl: origin,
    token,
    fetch: (input, init) => doFetch(input, { ...init, signal: AbortSignal.timeout(LIVE_TOOLS_TIMEOUT_MS) }),
  });
  try {
    return { ok: true, tools: await api.listTools() };
  } catch (error) {
    if (error instanceof ControlApiError && (error.status === 401 || error.status === 403)) {
      return { ok: false, why: `the gateway at ${origin} refused GATEHOUSE_ADMIN_TOKEN (HTTP ${error.status}): it must be an admin token` };
    }
    return { ok: false, why: `no gateway answered at ${origin} (${errorMessage(error)})` };
  }
}
