import { useCallback, useEffect, useMemo, useState, type ReactElement } from 'react';
import type { ControlApi, GatewayInfo } from '../../shared/control-api.js';
import { connect, forgetToken, hasNativeBridge, savedToken, saveToken } from './bridge.js';
import { CopyButton } from './components/copy-button.js';
import { AuditScreen } from './features/audit/audit-screen.js';
import { ClientsScreen } from './features/clients/clients-screen.js';
import { SecretsScreen } from './features/secrets/secrets-screen.js';
import { TokensScreen } from './features/tokens/tokens-screen.js';
import { summarize } from './gateway-state.js';
import { ServersScreen } from './features/servers/servers-screen.js';
import { SettingsScreen } from './features/settings/settings-screen.js';
import { ToolsScreen } from './features/tools/tools-screen.js';
import { ApiContext } from './hooks/use-api.js';
import { GatewayInfoContext, type GatewayInfoState } from './hooks/use-gateway-info.js';
import { usePoll } from './hooks/use-poll.js';
import { useServers } from './hooks/use-servers.js';
import { Login } from './login.js';
import { routeHash, SCREENS, useRoute, type Screen } from './router.js';

const TITLES: Record<Screen, string> = {
  servers: 'Servers',
  tools: 'Tools',
  audit: 'Audit',
  clients: 'Clients',
  tokens: 'Tokens',
  secrets: 'Secrets',
  settings: 'Settings',
};

/** Login in a browser (the Electron window needs none), then the screens. */
export function App(): ReactElement {
  const [token, setToken] = useState(() => (hasNativeBridge() ? '' : savedToken()));
  const [notice, setNotice] = useState<string>();
  const api = useMemo(() => (token !== undefined ? connect(token) : undefined), [token]);

  function handleLogin(value: string): void {
    saveToken(value);
    setNotice(undefined);
    setToken(value);
  }
  const handleLogout = useCallback((message?: string) => {
    forgetToken();
    setNotice(message);
    setToken(undefined);
  }, []);

  useEffect(() => {
    document.getElementById('root')?.setAttribute('data-app-state', api ? 'ready' : 'login');
  }, [api]);

  if (!api) return <Login onLogin={handleLogin} {...(notice ? { notice } : {})} />;
  return (
    <ApiContext.Provider value={api}>
      <Shell api={api} onLogout={handleLogout} />
    </ApiContext.Provider>
  );
}

function Shell({ api, onLogout }: { api: ControlApi; onLogout: (message?: string) => void }): ReactElement {
  const [route, navigate] = useRoute();
  const handleUnauthorized = useCallback(() => onLogout('The admin token is no longer accepted. Log in again.'), [onLogout]);
  const servers = useServers(api, handleUnauthorized);
  const info = useInfo(api, handleUnauthorized);
  const list = servers.data;
  const endpoint = `${api.gatewayUrl()}/mcp`;
  const summary = summarize(list, servers.error !== undefined);

  useEffect(() => {
    document.title = `${TITLES[route.screen]} · Gatehouse`;
  }, [route.screen]);

  return (
    <GatewayInfoContext.Provider value={info}>
      <div className="shell">
        <header className="app-header">
          <div className="brand">Gatehouse</div>
          <div className="gateway-state" aria-live="polite">
            <span className={`dot dot-${summary.state}`} aria-hidden="true" />
            <span data-testid="gateway-state" data-state={summary.state}>
              {summary.text}
            </span>
          </div>
          <div className="endpoint-box">
            <span className="muted">Endpoint</span>
            <code data-testid="endpoint">{endpoint}</code>
            <CopyButton text={endpoint} what="endpoint URL" />
          </div>
          {!hasNativeBridge() && (
            <button type="button" className="button small" onClick={() => onLogout()}>
              Log out
            </button>
          )}
        </header>
        <nav className="tabs" aria-label="Screens">
          {SCREENS.map((screen) => (
            <a key={screen} href={routeHash(screen)} className="tab" aria-current={route.screen === screen ? 'page' : undefined}>
              {TITLES[screen]}
            </a>
          ))}
        </nav>
        <main className="content">
          {route.screen === 'servers' && <ServersScreen servers={list} refresh={servers.refresh} />}
          {route.screen === 'tools' && <ToolsScreen />}
          {route.screen === 'audit' && <AuditScreen params={route.params} onParamsChange={(p) => navigate('audit', p, true)} />}
          {route.screen === 'clients' && <ClientsScreen servers={list} params={route.params} onParamsChange={(p) => navigate('clients', p, true)} />}
          {route.screen === 'tokens' && <TokensScreen servers={list} />}
          {route.screen === 'secrets' && <SecretsScreen />}
          {route.screen === 'settings' && <SettingsScreen servers={list} />}
        </main>
      </div>
    </GatewayInfoContext.Provider>
  );
}

/** The gateway's info, loaded once (it changes only through a call that answers the new one). */
function useInfo(api: ControlApi, onUnauthorized: () => void): GatewayInfoState {
  const polled = usePoll(() => api.info(), 0, onUnauthorized);
  const [updated, setUpdated] = useState<GatewayInfo>();
  const { refresh: load } = polled;
  // Stable, so a screen can refresh on mount without a loop.
  const refresh = useCallback(async () => {
    await load();
    setUpdated(undefined);
  }, [load]);
  return useMemo(
    () => ({ info: updated ?? polled.data, error: polled.error, update: setUpdated, refresh }),
    [updated, polled.data, polled.error, refresh],
  );
}
