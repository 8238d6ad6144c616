import { useEffect, useState, type FormEvent, type ReactElement } from 'react';
import type { CreatedToken, GatewayInfo, SecretStoreStatus, ServerView, TokenInfo } from '../../../../shared/control-api.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { CopyButton } from '../../components/copy-button.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorText } from '../../components/error-text.js';
import { useApi } from '../../hooks/use-api.js';
import { unavailableMessage, useGatewayInfo } from '../../hooks/use-gateway-info.js';
import { describeError, usePoll } from '../../hooks/use-poll.js';
import { readTheme, saveTheme, THEMES, type Theme } from '../../theme.js';
import { LimitsSettings } from './limits-settings.js';

/** The audit store's defaults (AUDIT_DEFAULTS in main/core/audit/audit-store.ts); `serve` does not change them. */
const AUDIT_RETENTION = { maxAgeDays: 30, maxTotal: '1 GiB', segment: '32 MiB' } as const;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Host and port the gateway answers on, read-only, with the rules that guard them. */
function GatewaySettings({ url }: { url: string }): ReactElement {
  const address = new URL(url);
  const port = address.port || (address.protocol === 'https:' ? '443' : '80');
  const isLoopback = LOOPBACK.has(address.hostname);
  return (
    <section className="panel" aria-labelledby="gateway-title">
      <h2 id="gateway-title">Gateway</h2>
      <dl className="facts">
        <dt>Address</dt>
        <dd>
          <code>{url}</code>
        </dd>
        <dt>Host</dt>
        <dd>
          <code data-testid="gateway-host">{address.hostname}</code>
          {isLoopback ? ' (this computer only)' : ''}
        </dd>
        <dt>Port</dt>
        <dd>
          <code data-testid="gateway-port">{port}</code>
        </dd>
      </dl>
      <p className="hint">
        Host and port are read-only here: they are set when the gateway starts. To change them, restart it with{' '}
        <code>gatehouse serve --host ADDRESS --port PORT</code>.
      </p>
      <h3>Security rules</h3>
      <ul className="rules">
        <li>
          The gateway listens on <code>127.0.0.1</code> unless started with another <code>--host</code>, so only programs on this computer reach
          it.
        </li>
        <li>
          Requests must name the gateway as <code>localhost</code>, <code>127.0.0.1</code> or <code>[::1]</code> in their Host header (plus names
          given with <code>--allow-host</code>): a web page cannot reach it through DNS rebinding.
        </li>
        <li>Requests from a web page of another origin are refused; the gateway sends no CORS headers.</li>
        <li>
          Any host other than loopback (<code>0.0.0.0</code>, a LAN address) needs a client token: the gateway refuses to start without one.
        </li>
        <li>The MCP endpoints take client tokens; this page and <code>/admin</code> take admin tokens only.</li>
      </ul>
    </section>
  );
}

/** Which Gatehouse this is: version (the issue "the app must show its version"), how it runs, where its data is. */
function AboutSettings({ info, error }: { info: GatewayInfo | undefined; error: string | undefined }): ReactElement {
  return (
    <section className="panel" aria-labelledby="about-title">
      <h2 id="about-title">About</h2>
      <ErrorText message={error} />
      {info && (
        <dl className="facts">
          <dt>Version</dt>
          <dd data-testid="app-version">Gatehouse {info.version}</dd>
          <dt>Runs as</dt>
          <dd>{info.desktop ? 'the desktop app' : <>a headless gateway (<code>gatehouse serve</code>)</>}</dd>
          {info.dataDir && (
            <>
              <dt>Data folder</dt>
              <dd>
                <code>{info.dataDir}</code>
              </dd>
            </>
          )}
        </dl>
      )}
    </section>
  );
}

/** The secret store's kind in words, for the Settings panel. */
export const SECRET_STORE_LABELS: Record<SecretStoreStatus['kind'], string> = {
  'os-keyring': 'Encrypted file, key in the OS keyring',
  'key-file': 'Encrypted file, key in a plain file',
  'safe-storage': 'The operating system’s credential store',
  'encrypted-file': 'Encrypted file',
  unavailable: 'Unavailable: no secret can be stored',
};

/**
 * Where secrets are kept and how well, from `info()`. Where the desktop app offers it (no OS
 * credential store), a confirmed switch to the encrypted-file store.
 */
function SecretStoreSettings({ status }: { status: SecretStoreStatus }): ReactElement {
  const api = useApi();
  const { update } = useGatewayInfo();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const choose = api.chooseEncryptedFileSecrets;
  const canChoose = status.canChooseEncryptedFile === true && choose !== undefined;
  const isWeak = status.kind === 'unavailable' || status.kind === 'key-file';

  async function handleChooseConfirmed(): Promise<void> {
    setConfirming(false);
    if (!choose) return;
    setBusy(true);
    setError(undefined);
    try {
      update(await choose());
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="secret-store-title">
      <h2 id="secret-store-title">Secret store</h2>
      <dl className="facts">
        <dt>Kind</dt>
        <dd data-testid="secret-store-kind" data-kind={status.kind} className={isWeak ? 'error-text' : undefined}>
          {SECRET_STORE_LABELS[status.kind]}
        </dd>
      </dl>
      {status.message && (
        <p className={isWeak ? 'store-warning' : 'hint'} data-testid="secret-store-message">
          {status.message}
        </p>
      )}
      {canChoose && (
        <button type="button" className="button" disabled={busy} onClick={() => setConfirming(true)}>
          {busy ? 'Switching…' : 'Use an encrypted file instead'}
        </button>
      )}
      <ErrorText message={error} />
      {confirming && (
        <ConfirmDialog
          title="Use an encrypted file for secrets?"
          confirmLabel="Use an encrypted file"
          onConfirm={() => void handleChooseConfirmed()}
          onCancel={() => setConfirming(false)}
        >
          <p>
            Secrets will be encrypted in <code>secrets.enc</code> in Gatehouse’s data folder. With no keyring to hold its key, the key sits in a
            file beside it that your user account can read: any program running as you could read your secrets.
          </p>
          <p>Gatehouse remembers this choice, and restarts the gateway to use the file.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

const THEME_LABELS: Record<Theme, string> = { system: 'Follow the system', light: 'Light', dark: 'Dark' };

/** The theme override, kept in this browser (localStorage). */
function ThemeSettings(): ReactElement {
  const [theme, setTheme] = useState<Theme>(readTheme);
  function choose(next: Theme): void {
    saveTheme(next);
    setTheme(next);
  }
  return (
    <section className="panel" aria-labelledby="theme-title">
      <h2 id="theme-title">Theme</h2>
      <div className="segmented" role="radiogroup" aria-labelledby="theme-title">
        {THEMES.map((t) => (
          <label key={t} className={`segment${theme === t ? ' active' : ''}`}>
            <input type="radio" name="theme" value={t} checked={theme === t} onChange={() => choose(t)} />
            {THEME_LABELS[t]}
          </label>
        ))}
      </div>
      <p className="hint">Kept in this browser only.</p>
    </section>
  );
}

function when(iso: string | undefined): string {
  return iso ? new Date(iso).toLocaleString() : 'never';
}

/** Client and admin tokens (the secret is shown once, at creation), secrets, the gateway's address, retention and theme. */
export function SettingsScreen({ servers }: { servers: ServerView[] | undefined }): ReactElement {
  const api = useApi();
  const info = useGatewayInfo();
  const tokens = usePoll(() => api.listTokens(), 0);
  const secrets = usePoll(() => api.listSecrets(), 0);
  const store = info.info?.secretStore;
  const { refresh: refreshInfo } = info;

  // The store may have changed since the shell loaded it (the desktop app restarted its gateway).
  useEffect(() => {
    void refreshInfo();
  }, [refreshInfo]);
  const [created, setCreated] = useState<CreatedToken>();
  const [revoking, setRevoking] = useState<TokenInfo>();
  const [error, setError] = useState<string>();

  async function handleCreate(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const name = String(data.get('name') ?? '').trim();
    const kind = data.get('kind') === 'admin' ? 'admin' : 'client';
    const only = data.getAll('servers').map(String);
    setError(undefined);
    try {
      setCreated(await api.createToken({ name, kind, ...(kind === 'client' && only.length > 0 ? { acl: { servers: only } } : {}) }));
      form.reset();
      await tokens.refresh();
    } catch (err) {
      setError(describeError(err));
    }
  }

  async function handleRevokeConfirmed(): Promise<void> {
    const token = revoking;
    setRevoking(undefined);
    if (!token) return;
    try {
      await api.revokeToken(token.id);
      if (created?.token.id === token.id) setCreated(undefined);
    } catch (err) {
      setError(describeError(err));
    }
    await tokens.refresh();
  }

  return (
    <section aria-labelledby="settings-title">
      <div className="screen-head">
        <h1 id="settings-title">Settings</h1>
      </div>
      <AboutSettings info={info.info} error={info.error} />
      <section className="panel" aria-labelledby="tokens-title">
        <h2 id="tokens-title">Tokens</h2>
        <p className="hint">
          Client tokens open the MCP endpoints (all servers, or the ones you pick). Admin tokens open this UI and the admin API. Only a hash is
          kept: the token is shown once.
        </p>
        {created && (
          <div className="created-token" role="status">
            <p>
              <strong>Token “{created.token.name}” created.</strong> Copy it now; it will not be shown again.
            </p>
            <div className="url-row">
              <code className="url" data-testid="new-token">
                {created.secret}
              </code>
              <CopyButton text={created.secret} what="new token" />
              <button type="button" className="button small" onClick={() => setCreated(undefined)}>
                Done
              </button>
            </div>
          </div>
        )}
        <form className="token-form" aria-label="Create a token" onSubmit={(e) => void handleCreate(e)}>
          <label>
            Name
            <input name="name" required placeholder="e.g. laptop-cursor" />
          </label>
          <label>
            Kind
            <select name="kind" defaultValue="client">
              <option value="client">client</option>
              <option value="admin">admin</option>
            </select>
          </label>
          {servers && servers.length > 0 && (
            <fieldset className="server-picks">
              <legend>Servers (none ticked: all)</legend>
              {servers.map((s) => (
                <label key={s.name} className="check">
                  <input type="checkbox" name="servers" value={s.name} /> {s.name}
                </label>
              ))}
            </fieldset>
          )}
          <button type="submit" className="button primary">
            Create token
          </button>
        </form>
        <ErrorText message={error ?? tokens.error} />
        {tokens.data?.length === 0 && <EmptyState title="No tokens">While no client token exists, the MCP endpoints are open to local programs.</EmptyState>}
        {tokens.data && tokens.data.length > 0 && (
          <table className="table" aria-label="Tokens">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Servers</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((t) => (
                <tr key={t.id} data-token={t.name}>
                  <td>{t.name}</td>
                  <td>{t.kind}</td>
                  <td>{t.acl.servers === '*' ? 'all' : t.acl.servers.join(', ')}</td>
                  <td>{when(t.createdAt)}</td>
                  <td>{when(t.lastUsedAt)}</td>
                  <td>
                    {t.ephemeral ? (
                      <span className="muted">from the environment</span>
                    ) : (
                      <button type="button" className="button small danger" aria-label={`Revoke ${t.name}`} onClick={() => setRevoking(t)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {store && <SecretStoreSettings status={store} />}
      <section className="panel" aria-labelledby="secrets-title">
        <h2 id="secrets-title">Secrets</h2>
        <p className="hint">Values are never shown. Servers refer to them as <code>{'${secret:NAME}'}</code>.</p>
        {store?.kind === 'unavailable' && (
          <p className="store-warning" role="status" data-testid="secrets-unavailable">
            {unavailableMessage(store)} Servers that refer to a secret cannot start.
          </p>
        )}
        <ErrorText message={secrets.error} />
        {secrets.data && secrets.data.secrets.length === 0 && secrets.data.missing.length === 0 && <p className="muted">No secrets stored.</p>}
        {secrets.data && (secrets.data.secrets.length > 0 || secrets.data.missing.length > 0) && (
          <table className="table" aria-label="Secrets">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Used by</th>
                <th scope="col">Set</th>
              </tr>
            </thead>
            <tbody>
              {secrets.data.secrets.map((s) => (
                <tr key={s.name}>
                  <td>
                    <code>{s.name}</code>
                  </td>
                  <td>{s.usedBy.join(', ') || '—'}</td>
                  <td>{when(s.updatedAt)}</td>
                </tr>
              ))}
              {secrets.data.missing.map((s) => (
                <tr key={s.name}>
                  <td>
                    <code>{s.name}</code>
                  </td>
                  <td>{s.usedBy.join(', ')}</td>
                  <td className="error-text">not set</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <GatewaySettings url={api.gatewayUrl()} />
      <LimitsSettings />
      <section className="panel" aria-labelledby="retention-title">
        <h2 id="retention-title">Audit retention</h2>
        <dl className="facts" data-testid="retention">
          <dt>Kept for</dt>
          <dd>{AUDIT_RETENTION.maxAgeDays} days</dd>
          <dt>At most</dt>
          <dd>{AUDIT_RETENTION.maxTotal} on disk (the oldest files go first)</dd>
          <dt>File size</dt>
          <dd>a new file every {AUDIT_RETENTION.segment}</dd>
        </dl>
        <p className="hint">These are the gateway's defaults; the timeline is cleaned up hourly and at each new file.</p>
      </section>
      <ThemeSettings />
      {revoking && (
        <ConfirmDialog title={`Revoke ${revoking.name}?`} confirmLabel="Revoke" danger onConfirm={() => void handleRevokeConfirmed()} onCancel={() => setRevoking(undefined)}>
          <p>Its next request is refused and its open sessions close at once.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
