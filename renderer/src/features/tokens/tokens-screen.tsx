import { useMemo, useState, type FormEvent, type ReactElement } from 'react';
import type { CreatedToken, ServerView, TokenInfo } from '../../../../shared/control-api.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { CopyButton } from '../../components/copy-button.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorText } from '../../components/error-text.js';
import { useApi } from '../../hooks/use-api.js';
import { describeError, usePoll } from '../../hooks/use-poll.js';
import { aclFromForm, describeRules, toolsFor, type TokenRulesForm } from './token-rules.js';

const EMPTY_RULES: TokenRulesForm = { scope: 'all', servers: [], allow: '', block: '' };
/** How many of the tools a new token would see are named in the preview. */
const PREVIEW_NAMES = 8;

function when(iso: string | undefined): string {
  return iso ? new Date(iso).toLocaleString() : 'never';
}

/** Client and admin tokens: create one with its servers and tool rules (its secret is shown once), list, revoke. */
export function TokensScreen({ servers }: { servers: ServerView[] | undefined }): ReactElement {
  const api = useApi();
  const tokens = usePoll(() => api.listTokens(), 0);
  const tools = usePoll(() => api.listTools(), 0);
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'client' | 'admin'>('client');
  const [rules, setRules] = useState<TokenRulesForm>(EMPTY_RULES);
  const [created, setCreated] = useState<CreatedToken>();
  const [revoking, setRevoking] = useState<TokenInfo>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const acl = useMemo(() => aclFromForm(rules), [rules]);
  const visible = useMemo(() => (acl.ok && tools.data ? toolsFor(acl.acl, tools.data) : undefined), [acl, tools.data]);
  const enabledTotal = tools.data?.filter((t) => t.enabled).length ?? 0;

  function patch(change: Partial<TokenRulesForm>): void {
    setRules((r) => ({ ...r, ...change }));
  }
  function handlePick(server: string, picked: boolean): void {
    patch({ servers: picked ? [...rules.servers, server] : rules.servers.filter((s) => s !== server) });
  }

  async function handleCreate(event: FormEvent): Promise<void> {
    event.preventDefault();
    setError(undefined);
    if (name.trim() === '') return setError('Give the token a name (the audit shows it for every call made with it).');
    if (kind === 'client' && !acl.ok) return setError(acl.problem);
    setBusy(true);
    try {
      setCreated(await api.createToken({ name: name.trim(), kind, ...(kind === 'client' && acl.ok ? { acl: acl.acl } : {}) }));
      setName('');
      setRules(EMPTY_RULES);
      await tokens.refresh();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
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
    <section aria-labelledby="tokens-title">
      <div className="screen-head">
        <h1 id="tokens-title">Tokens</h1>
      </div>
      <p className="hint">
        Client tokens open the MCP endpoints, for the servers and tools you pick. Admin tokens open this UI and the admin API. Only a hash is kept:
        the token is shown once.
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
      <form className="panel token-create" aria-label="Create a token" onSubmit={(e) => void handleCreate(e)} noValidate>
        <h2>Create a token</h2>
        <div className="form-grid">
          <label htmlFor="token-name">Name</label>
          <input id="token-name" value={name} placeholder="e.g. laptop-cursor" onChange={(e) => setName(e.target.value)} />
          <span id="token-kind-label">Kind</span>
          <div className="segmented" role="radiogroup" aria-labelledby="token-kind-label">
            {(['client', 'admin'] as const).map((k) => (
              <label key={k} className={kind === k ? 'segment active' : 'segment'}>
                <input type="radio" name="token-kind" value={k} checked={kind === k} onChange={() => setKind(k)} />
                {k === 'client' ? 'Client (MCP endpoints)' : 'Admin (this UI)'}
              </label>
            ))}
          </div>
          {kind === 'client' && (
            <>
              <span id="token-servers-label">Servers</span>
              <div role="group" aria-labelledby="token-servers-label" className="token-servers">
                <label className="check">
                  <input type="radio" name="token-scope" checked={rules.scope === 'all'} onChange={() => patch({ scope: 'all' })} /> All servers, including ones
                  added later
                </label>
                <label className="check">
                  <input type="radio" name="token-scope" checked={rules.scope === 'some'} onChange={() => patch({ scope: 'some' })} /> Only these:
                </label>
                {rules.scope === 'some' && (
                  <div className="server-picks">
                    {(servers ?? []).map((s) => (
                      <label key={s.name} className="check">
                        <input type="checkbox" checked={rules.servers.includes(s.name)} onChange={(e) => handlePick(s.name, e.target.checked)} /> {s.name}
                      </label>
                    ))}
                    {servers?.length === 0 && <span className="muted">No servers yet.</span>}
                  </div>
                )}
              </div>
              <label htmlFor="token-allow">Only these tools</label>
              <div>
                <textarea id="token-allow" className="code-input" rows={2} value={rules.allow} placeholder="e.g. get_*, list_* (empty: every tool)" onChange={(e) => patch({ allow: e.target.value })} />
                <p className="hint">Glob patterns over each server’s own tool names, one per line or separated by commas.</p>
              </div>
              <label htmlFor="token-block">Never these tools</label>
              <textarea id="token-block" className="code-input" rows={2} value={rules.block} placeholder="e.g. *delete*, write_file" onChange={(e) => patch({ block: e.target.value })} />
            </>
          )}
        </div>
        {kind === 'client' && visible && (
          <p className="hint" data-testid="token-preview" aria-live="polite">
            This token would see {visible.length} of the {enabledTotal} tools enabled now
            {visible.length > 0 ? `: ${visible.slice(0, PREVIEW_NAMES).map((t) => `${t.server}/${t.name}`).join(', ')}${visible.length > PREVIEW_NAMES ? ', …' : ''}` : ''}.
          </p>
        )}
        <ErrorText message={error} />
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={busy}>
            Create token
          </button>
        </div>
      </form>
      <ErrorText message={tokens.error} />
      {tokens.data?.length === 0 && <EmptyState title="No tokens">While no client token exists, the MCP endpoints are open to local programs.</EmptyState>}
      {tokens.data && tokens.data.length > 0 && (
        <table className="table panel" aria-label="Tokens">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Servers</th>
              <th scope="col">Tools</th>
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
                <td>{t.kind === 'admin' ? '—' : t.acl.servers === '*' ? 'all' : t.acl.servers.join(', ')}</td>
                <td data-testid="token-tools">{t.kind === 'admin' ? '—' : describeRules(t.acl)}</td>
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
      {revoking && (
        <ConfirmDialog title={`Revoke ${revoking.name}?`} confirmLabel="Revoke" danger onConfirm={() => void handleRevokeConfirmed()} onCancel={() => setRevoking(undefined)}>
          <p>Its next request is refused and its open sessions close at once.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
