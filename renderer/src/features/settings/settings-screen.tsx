import { useEffect, useState, type ReactElement } from 'react';
import type { GatewayInfo, SecretStoreStatus, ServerView } from '../../../../shared/control-api.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { ErrorText } from '../../components/error-text.js';
import { useApi } from '../../hooks/use-api.js';
import { useGatewayInfo } from '../../hooks/use-gateway-info.js';
import { describeError } from '../../hooks/use-poll.js';
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

/** What runs and where, the secret store, the gateway's address, retention and theme (tokens and secrets have their own screens). */
export function SettingsScreen(_props: { servers: ServerView[] | undefined }): ReactElement {
  const api = useApi();
  const info = useGatewayInfo();
  const store = info.info?.secretStore;
  const { refresh: refreshInfo } = info;

  // The store may have changed since the shell loaded it (the desktop app restarted its gateway).
  useEffect(() => {
    void refreshInfo();
  }, [refreshInfo]);
  return (
    <section aria-labelledby="settings-title">
      <div className="screen-head">
        <h1 id="settings-title">Settings</h1>
      </div>
      <AboutSettings info={info.info} error={info.error} />
      {store && <SecretStoreSettings status={store} />}
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
    </section>
  );
}
