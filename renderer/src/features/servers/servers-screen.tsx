import { useEffect, useState, type ReactElement } from 'react';
import type { ServerView, SignInStart } from '../../../../shared/control-api.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { CopyButton } from '../../components/copy-button.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorText } from '../../components/error-text.js';
import { StatusBadge } from '../../components/status-badge.js';
import { Switch } from '../../components/switch.js';
import { useApi } from '../../hooks/use-api.js';
import { describeError, usePoll } from '../../hooks/use-poll.js';
import { ApprovalPanel } from './approval-panel.js';
import { emptyForm, formFromEntry, type ServerFormState } from './form-model.js';
import { ImportPanel } from './import-panel.js';
import { ServerForm } from './server-form.js';
import { ServerFacts, useNow } from './server-facts.js';
import { ServerLogs } from './server-logs.js';

export interface ServersScreenProps {
  servers: ServerView[] | undefined;
  refresh: () => Promise<void>;
}

type Editor = { kind: 'add' } | { kind: 'edit'; form: ServerFormState } | { kind: 'import' } | undefined;

/** Every server with its live status; add, edit, import, approve, start/stop, delete. */
export function ServersScreen({ servers, refresh }: ServersScreenProps): ReactElement {
  const api = useApi();
  const [editor, setEditor] = useState<Editor>();
  const [deleting, setDeleting] = useState<string>();
  const [openLogs, setOpenLogs] = useState<string>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<string>();
  const [signIns, setSignIns] = useState<Record<string, SignInStart>>({});
  const waiting = servers?.some((s) => s.approval === 'pending' || s.approval === 'changed') ?? false;
  const approvals = usePoll(() => (waiting ? api.listApprovals() : Promise.resolve([])), waiting ? 3000 : 0);
  const names = servers?.map((s) => s.name) ?? [];
  // Calls and errors in the last hour, per server, from the audit.
  const hour = usePoll(() => api.stats({ since: '1h' }), 10_000);
  const now = useNow(15_000);

  async function act(name: string, action: () => Promise<unknown>): Promise<void> {
    setBusy(name);
    setErrors(({ [name]: _dropped, ...rest }) => rest);
    try {
      await action();
    } catch (err) {
      setErrors((e) => ({ ...e, [name]: describeError(err) }));
    } finally {
      setBusy(undefined);
      await refresh();
    }
  }

  // A sign-in is over once its server stops asking for one.
  useEffect(() => {
    setSignIns((current) => {
      const waiting = Object.entries(current).filter(([name]) => servers?.find((s) => s.name === name)?.needsAuth === true);
      return waiting.length === Object.keys(current).length ? current : Object.fromEntries(waiting);
    });
  }, [servers]);

  /** Starts an OAuth sign-in; opens the page here when the gateway did not (the desktop app does). */
  function handleSignIn(name: string): void {
    void act(name, async () => {
      const start = await api.signIn(name);
      if (!start.url) return;
      if (!start.opened) window.open(start.url, '_blank', 'noopener');
      setSignIns((current) => ({ ...current, [name]: start }));
    });
  }

  async function handleEdit(name: string): Promise<void> {
    try {
      const detail = await api.getServer(name);
      setEditor({ kind: 'edit', form: formFromEntry(name, detail.config, detail.secretRefs) });
    } catch (err) {
      setErrors((e) => ({ ...e, [name]: describeError(err) }));
    }
  }

  function handleToggleEnabled(name: string, enabled: boolean): void {
    void act(name, async () => {
      const { config } = await api.getServer(name);
      const { disabled: _ignored, ...entry } = config;
      await api.putServer(name, { ...entry, enabled });
    });
  }

  function handleSaved(): void {
    setEditor(undefined);
    void refresh();
    void approvals.refresh();
  }

  function handleDeleteConfirmed(): void {
    const name = deleting;
    setDeleting(undefined);
    if (name) void act(name, () => api.removeServer(name));
  }

  return (
    <section aria-labelledby="servers-title">
      <div className="screen-head">
        <h1 id="servers-title">Servers</h1>
        <div className="toolbar">
          <button type="button" className="button" onClick={() => setEditor({ kind: 'import' })}>
            Import config
          </button>
          <button type="button" className="button primary" onClick={() => setEditor({ kind: 'add' })}>
            Add server
          </button>
        </div>
      </div>
      {editor?.kind === 'add' && <ServerForm initial={emptyForm()} isNew existingNames={names} onDone={handleSaved} onCancel={() => setEditor(undefined)} />}
      {editor?.kind === 'edit' && (
        <ServerForm initial={editor.form} isNew={false} existingNames={names} onDone={handleSaved} onCancel={() => setEditor(undefined)} />
      )}
      {editor?.kind === 'import' && <ImportPanel existingNames={names} onDone={handleSaved} onCancel={() => setEditor(undefined)} />}
      {servers === undefined && <p className="hint">Loading…</p>}
      {servers?.length === 0 && !editor && (
        <EmptyState title="No servers yet">
          <p>
            Add the MCP servers your AI clients use: <strong>Add server</strong> for one, or <strong>Import config</strong> to bring over a
            Claude Desktop, Cursor or VS Code config. Then point your clients at the one endpoint above.
          </p>
        </EmptyState>
      )}
      <ul className="server-list" aria-label="Servers">
        {servers?.map((server) => {
          const approval = approvals.data?.find((a) => a.server === server.name);
          const isRunning = server.status === 'running' || server.status === 'degraded' || server.status === 'starting';
          return (
            <li key={server.name} className="server-card" data-server={server.name} data-status={server.status}>
              <div className="server-main">
                <div className="server-title">
                  <h2>{server.name}</h2>
                  <StatusBadge status={server.status} />
                  <span className="muted">{server.transport}</span>
                  <span className="muted">
                    {server.toolCount} tool{server.toolCount === 1 ? '' : 's'}
                    {server.filteredToolCount > 0 ? ` (${server.filteredToolCount} hidden)` : ''}
                  </span>
                  {server.pid !== undefined && <span className="muted">pid {server.pid}</span>}
                </div>
                {server.reason && server.status !== 'error' && <p className="reason">{server.reason}</p>}
                <ServerFacts
                  server={server}
                  hour={hour.data?.find((s) => s.server === server.name)}
                  hourLoaded={hour.data !== undefined}
                  gatewayUrl={api.gatewayUrl()}
                  now={Math.max(now, Date.now())}
                />
              </div>
              <div className="server-actions">
                {server.needsAuth && (
                  <button type="button" className="button small primary" disabled={busy === server.name} onClick={() => handleSignIn(server.name)}>
                    Sign in
                  </button>
                )}
                <Switch checked={server.enabled} label={`Enable ${server.name}`} disabled={busy === server.name} onChange={(on) => handleToggleEnabled(server.name, on)} />
                {isRunning ? (
                  <>
                    <button type="button" className="button small" disabled={busy === server.name} onClick={() => void act(server.name, () => api.stopServer(server.name))}>
                      Stop
                    </button>
                    <button type="button" className="button small" disabled={busy === server.name} onClick={() => void act(server.name, () => api.restartServer(server.name))}>
                      Restart
                    </button>
                  </>
                ) : (
                  <button
                    type="button"
                    className="button small"
                    disabled={busy === server.name || !server.enabled}
                    onClick={() => void act(server.name, () => api.startServer(server.name))}
                  >
                    Start
                  </button>
                )}
                <button type="button" className="button small" onClick={() => void handleEdit(server.name)}>
                  Edit
                </button>
                <button
                  type="button"
                  className="button small"
                  aria-expanded={openLogs === server.name}
                  onClick={() => setOpenLogs(openLogs === server.name ? undefined : server.name)}
                >
                  Logs
                </button>
                <button type="button" className="button small danger" onClick={() => setDeleting(server.name)}>
                  Delete
                </button>
              </div>
              <ErrorText message={errors[server.name]} />
              {server.needsAuth && signIns[server.name] && <SignInWaiting start={signIns[server.name]!} />}
              {approval && (approval.status === 'pending' || approval.status === 'changed') && (
                <ApprovalPanel approval={approval} onApproved={handleSaved} />
              )}
              {openLogs === server.name && <ServerLogs name={server.name} />}
            </li>
          );
        })}
      </ul>
      {deleting && (
        <ConfirmDialog title={`Delete ${deleting}?`} confirmLabel="Delete" danger onConfirm={handleDeleteConfirmed} onCancel={() => setDeleting(undefined)}>
          <p>The server is stopped and removed from the registry. Clients lose its tools at once. Its secrets stay in the store.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

/** While a sign-in is under way: what to wait for, and the page's link to open or copy. */
function SignInWaiting({ start }: { start: SignInStart }): ReactElement {
  return (
    <div className="sign-in" role="status" data-testid="sign-in-waiting">
      <p>Waiting for the sign-in in your browser…</p>
      <p className="hint">
        {start.opened ? 'The sign-in page was opened in your browser.' : 'The sign-in page was opened in a new tab.'} If it did not appear, open
        this link or copy it into your browser:
      </p>
      <div className="url-row">
        <a className="url" href={start.url} target="_blank" rel="noopener noreferrer" data-testid="sign-in-url">
          {start.url}
        </a>
        <CopyButton text={start.url} what="sign-in link" />
      </div>
    </div>
  );
}
