/**
 * The admin endpoints of the control UI's "Try it" and "Install" (`/admin/tools/call`,
 * `/admin/clients/...`), wired to the gateway in one place: what each needs is read from the
 * gateway through {@link UiAdminSource} at each request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Backend } from '../backends/backend.js';
import type { AdminToolCaller } from '../routing/admin-tool-call.js';
import type { TokenStore } from '../security/token-store.js';
import type { ServerView, ToolView } from './admin-api.js';
import { handleClientInstallRequest, type ClientInstallDeps } from './client-install-api.js';
import { presentedToken } from './request-guard.js';
import { handleToolCallRequest, type CallableServer } from './tool-call-api.js';

/** What the routes read from the gateway. */
export interface UiAdminSource {
  caller: Pick<AdminToolCaller, 'call'>;
  tokens: TokenStore;
  serverNames(): string[];
  serverView(name: string): ServerView | undefined;
  backend(name: string): Backend | undefined;
  listTools(): ToolView[];
  /** The gateway's base URL, once listening. */
  url(): string;
  maxBodyBytes: number;
  /** Whose client files "Install" edits; absent: `/admin/clients/...` is not served. */
  clientInstall?: Pick<ClientInstallDeps, 'installEnv' | 'bridgeCommand'>;
}

/** Handles the request when it is one of these endpoints (resolves `true`); `false` otherwise, writing nothing. */
export async function handleUiAdminRequest(req: IncomingMessage, res: ServerResponse, url: URL, source: Readonly<UiAdminSource>): Promise<boolean> {
  const toolCall = handleToolCallRequest(req, res, url, {
    caller: source.caller,
    server: (name) => callable(source, name),
    serverNames: () => source.serverNames(),
    who: (req) => {
      const userAgent = req.headers['user-agent'];
      return {
        // The admin API is open (no admin token yet) only on loopback: then nobody is named.
        tokenName: source.tokens.authenticate(presentedToken(req))?.name ?? 'admin',
        ...(req.socket.remoteAddress ? { ip: req.socket.remoteAddress } : {}),
        ...(userAgent ? { userAgent } : {}),
      };
    },
    maxBodyBytes: source.maxBodyBytes,
  });
  if (await toolCall) return true;
  const install = source.clientInstall;
  if (!install) return false;
  return handleClientInstallRequest(req, res, url, {
    ...install,
    tokens: source.tokens,
    gatewayUrl: () => source.url(),
    serverNames: () => source.serverNames(),
    toolNames: (server) => {
      const enabled = source.listTools().filter((t) => t.enabled && (server === undefined || t.server === server));
      return enabled.map((t) => (server === undefined ? t.exposedName : t.name));
    },
    maxBodyBytes: source.maxBodyBytes,
  });
}

/** A server as a tried call sees it: reachable when enabled and routable, with its tools' own names. */
function callable(source: Readonly<UiAdminSource>, name: string): CallableServer | undefined {
  const view = source.serverView(name);
  if (!view) return undefined;
  const backend = source.backend(name);
  return {
    status: view.status,
    ...(view.reason ? { reason: view.reason } : {}),
    reachable: backend !== undefined && backend.config.enabled && backend.isRoutable,
    tools: (backend?.catalog?.tools ?? []).map((t) => t.name),
  };
}
