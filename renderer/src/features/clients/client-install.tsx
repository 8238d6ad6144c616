import { useCallback, useEffect, useState, type ReactElement } from 'react';
import type { ClientChangePreview, ClientInstallAnswer, ClientInstallStatus, ClientRemoveAnswer } from '../../../../shared/control-api.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { CopyButton } from '../../components/copy-button.js';
import { ErrorText } from '../../components/error-text.js';
import { useApi } from '../../hooks/use-api.js';
import { describeError } from '../../hooks/use-poll.js';

const REMOTE_KEY = 'gatehouse.clients.remoteBrowser';

type Pending = { action: 'install' | 'remove'; preview: ClientChangePreview };
type Done = { action: 'install'; answer: ClientInstallAnswer } | { action: 'remove'; answer: ClientRemoveAnswer };

/** A unified diff with its added and removed lines marked for colour (and for screen readers, by their sign). */
export function DiffView({ diff }: { diff: string }): ReactElement {
  const lines = diff.split('\n').filter((line, i) => i > 1 || !/^(={3,}|Index:)/.test(line));
  return (
    <pre className="diff" data-testid="client-diff">
      {lines.map((line, i) => (
        <span key={i} className={`diff-line${line.startsWith('+') && !line.startsWith('+++') ? ' diff-add' : line.startsWith('-') && !line.startsWith('---') ? ' diff-del' : line.startsWith('@@') ? ' diff-hunk' : ''}`}>
          {line || ' '}
        </span>
      ))}
    </pre>
  );
}

/** Whether the admin said this browser is not on the gateway's computer (kept in this browser). */
function useRemoteBrowser(): [boolean, (remote: boolean) => void] {
  const [remote, setRemote] = useState(() => localStorage.getItem(REMOTE_KEY) === '1');
  const set = useCallback((value: boolean) => {
    if (value) localStorage.setItem(REMOTE_KEY, '1');
    else localStorage.removeItem(REMOTE_KEY);
    setRemote(value);
  }, []);
  return [remote, set];
}

/**
 * "Install" and "Remove" for one client: the entry goes into (or out of) the client's own config
 * file on the gateway's computer, after a diff, with a backup, as `gatehouse client install` does.
 * Where the browser is elsewhere, it says so and leaves the snippet below to copy.
 */
export function ClientInstall({ client, server, title }: { client: string; server: string | undefined; title: string }): ReactElement | null {
  const api = useApi();
  const [status, setStatus] = useState<ClientInstallStatus>();
  const [remote, setRemote] = useRemoteBrowser();
  const [pending, setPending] = useState<Pending>();
  const [done, setDone] = useState<Done>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const load = useCallback(async () => {
    try {
      setStatus(await api.clientInstallStatus(client, server));
      setError(undefined);
    } catch (err) {
      setStatus(undefined);
      setError(describeError(err));
    }
  }, [api, client, server]);
  useEffect(() => {
    setDone(undefined);
    void load();
  }, [load]);

  async function handlePreview(action: 'install' | 'remove'): Promise<void> {
    setBusy(true);
    setError(undefined);
    try {
      setPending({ action, preview: await api.previewClientChange(client, { action, ...(server !== undefined ? { server } : {}) }) });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  async function handleConfirmed(): Promise<void> {
    const change = pending;
    setPending(undefined);
    if (!change) return;
    setBusy(true);
    setError(undefined);
    const where = { ...(server !== undefined ? { server } : {}), fingerprint: change.preview.fingerprint };
    try {
      if (change.action === 'install') setDone({ action: 'install', answer: await api.installClient(client, { ...where, force: change.preview.replaces }) });
      else setDone({ action: 'remove', answer: await api.removeClient(client, where) });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
      await load();
    }
  }

  if (!status && !error) return null;
  const elsewhere = status !== undefined && (!status.local || remote);
  return (
    <section className="panel client-install" aria-label={`Install in ${title}`} data-testid="client-install">
      <h3>Install on this computer</h3>
      {status && !status.installable && <p className="muted">{status.reason}</p>}
      {status?.installable && elsewhere && (
        <p className="explanation" role="note" data-testid="install-elsewhere">
          {status.local
            ? 'You said this browser runs on another computer than the gateway, so the gateway cannot write your client’s file: copy the snippet below instead.'
            : `${status.reason ?? 'The gateway runs on another computer than this browser.'}`}
        </p>
      )}
      {status?.installable && !elsewhere && (
        <>
          <p>
            {status.installed ? 'Installed in' : 'Writes the entry'} <code>{status.entryName}</code> {status.installed ? '' : 'into '}
            <code data-testid="install-file">{status.file}</code>
            {status.installed ? '.' : ', with a backup of the file first and a client token of its own.'}
          </p>
          {status.reason && <p className="store-warning">{status.reason}</p>}
          <div className="toolbar">
            <button type="button" className="button primary" disabled={busy} onClick={() => void handlePreview('install')}>
              {status.installed ? 'Reinstall…' : 'Install…'}
            </button>
            {status.installed && (
              <button type="button" className="button danger" disabled={busy} onClick={() => void handlePreview('remove')}>
                Remove…
              </button>
            )}
          </div>
        </>
      )}
      {status && (
        <label className="check remote-toggle">
          <input type="checkbox" checked={remote} onChange={(e) => setRemote(e.target.checked)} /> This browser runs on another computer than the gateway
        </label>
      )}
      <ErrorText message={error} />
      {done && <InstallOutcome done={done} title={title} />}
      {pending && (
        <ConfirmDialog
          wide
          title={pending.action === 'install' ? `${pending.preview.replaces ? 'Reinstall' : 'Install'} in ${title}?` : `Remove from ${title}?`}
          confirmLabel={pending.action === 'install' ? (pending.preview.replaces ? 'Reinstall' : 'Install') : 'Remove'}
          danger={pending.action === 'remove'}
          onConfirm={() => void handleConfirmed()}
          onCancel={() => setPending(undefined)}
        >
          <p>
            {pending.preview.exists ? 'Changes to' : 'Creates'} <code>{pending.preview.file}</code>
            {pending.preview.exists ? ' (a backup is made first)' : ''}:
          </p>
          {pending.preview.changed ? <DiffView diff={pending.preview.diff} /> : <p className="muted">The file already is as it would be: nothing changes.</p>}
          {pending.preview.replaces && <p className="hint">The entry is there already: reinstalling gives it a new token and revokes the old one.</p>}
          {pending.preview.tokenNote && <p className="hint">{pending.preview.tokenNote}</p>}
          {pending.action === 'remove' && <p className="hint">The client’s token is revoked too.</p>}
        </ConfirmDialog>
      )}
    </section>
  );
}

/** What an install or remove did; a token the client reads from its environment is shown here once. */
function InstallOutcome({ done, title }: { done: Done; title: string }): ReactElement {
  if (done.action === 'remove') {
    const a = done.answer;
    return (
      <div className="created-token" role="status" data-testid="install-outcome">
        <p>
          {a.removed ? `Removed from ${a.file}` : `Nothing to remove in ${a.file}`}
          {a.backup ? ` (backup: ${a.backup})` : ''}. {a.revokedTokens > 0 ? `Revoked ${a.revokedTokens} token${a.revokedTokens === 1 ? '' : 's'}.` : ''}
        </p>
      </div>
    );
  }
  const a = done.answer;
  if (a.status === 'already-installed') {
    return (
      <p className="hint" role="status" data-testid="install-outcome">
        Already installed in {a.file} (token “{a.tokenName}”).
      </p>
    );
  }
  return (
    <div className="created-token" role="status" data-testid="install-outcome">
      <p>
        <strong>
          {a.created ? 'Created' : 'Updated'} {a.file}
        </strong>
        {a.backup ? ` (backup: ${a.backup})` : ''}, with the client token “{a.tokenName}”.
      </p>
      {a.secret ? (
        <>
          <p>
            {title} reads the token from <code>{a.tokenEnvVar ?? 'its prompt'}</code>: set it there. It is shown this once.
          </p>
          <div className="url-row">
            <code className="url" data-testid="install-token">
              {a.secret}
            </code>
            <CopyButton text={a.secret} what="client token" />
          </div>
        </>
      ) : (
        <p>The token is in the file itself, which only your user can read.</p>
      )}
      {a.notes.length > 0 && (
        <ul className="notes">
          {a.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {a.warnings.length > 0 && (
        <ul className="warnings">
          {a.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
