import { useState, type FormEvent, type ReactElement } from 'react';
import type { SecretUse } from '../../../../shared/control-api.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { ErrorText } from '../../components/error-text.js';
import { useApi } from '../../hooks/use-api.js';
import { useSecretsUnavailable } from '../../hooks/use-gateway-info.js';
import { describeError, usePoll } from '../../hooks/use-poll.js';
import { doubledScheme } from './secret-warnings.js';

interface Row {
  name: string;
  usedBy: string[];
  uses: SecretUse[];
  /** ISO time it was set; absent for a secret that servers refer to but nobody set. */
  updatedAt?: string;
}

type Editing = { kind: 'set'; row: Row } | { kind: 'delete'; row: Row } | undefined;

function when(iso: string | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '';
}

/** Where a secret is used, e.g. `github (headers.Authorization)`. */
function usesText(row: Row): string {
  if (row.uses.length === 0) return row.usedBy.join(', ') || '—';
  return row.uses.map((u) => `${u.server} (${u.field})`).join(', ');
}

/**
 * The secret store: names, which servers use them and when they were set; set, rotate and
 * delete. Values are write-only: no API returns them, and this screen never shows one.
 */
export function SecretsScreen(): ReactElement {
  const api = useApi();
  const secrets = usePoll(() => api.listSecrets(), 0);
  const unavailable = useSecretsUnavailable();
  const [editing, setEditing] = useState<Editing>();
  const [value, setValue] = useState('');
  const [newName, setNewName] = useState('');
  const [newValue, setNewValue] = useState('');
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const rows: Row[] = [
    ...(secrets.data?.secrets ?? []).map((s) => ({ name: s.name, usedBy: s.usedBy, uses: s.uses ?? [], updatedAt: s.updatedAt })),
    ...(secrets.data?.missing ?? []).map((s) => ({ name: s.name, usedBy: s.usedBy, uses: s.uses ?? [] })),
  ];

  async function store(name: string, secret: string, what: string): Promise<boolean> {
    setError(undefined);
    try {
      await api.setSecret(name, secret);
      setNotice(what);
      await secrets.refresh();
      return true;
    } catch (err) {
      setError(describeError(err));
      return false;
    }
  }

  async function handleAdd(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (newName.trim() === '' || newValue === '') return setError('Give the secret a name and a value.');
    const name = newName.trim();
    if (await store(name, newValue, `Secret “${name}” stored. Refer to it as \${secret:${name}} in a server's env or headers.`)) {
      setNewName('');
      setNewValue('');
    }
  }

  function openSet(row: Row): void {
    setValue('');
    setEditing({ kind: 'set', row });
  }

  async function handleSetConfirmed(row: Row, secret: string): Promise<void> {
    setEditing(undefined);
    setValue('');
    await store(row.name, secret, `Secret “${row.name}” ${row.updatedAt ? 'replaced' : 'set'}.${row.usedBy.length > 0 ? ` Servers using it pick it up at their next start: ${row.usedBy.join(', ')}.` : ''}`);
  }

  async function handleDeleteConfirmed(row: Row): Promise<void> {
    setEditing(undefined);
    setError(undefined);
    try {
      await api.deleteSecret(row.name);
      setNotice(`Secret “${row.name}” deleted.`);
    } catch (err) {
      setError(describeError(err));
    }
    await secrets.refresh();
  }

  const editingSet = editing?.kind === 'set' ? editing.row : undefined;
  const doubled = editingSet ? doubledScheme(editingSet.uses, value) : undefined;

  return (
    <section aria-labelledby="secrets-title">
      <div className="screen-head">
        <h1 id="secrets-title">Secrets</h1>
      </div>
      <p className="hint">
        Values are write-only: they are never shown again, here or by any API. Servers refer to a secret as <code>{'${secret:NAME}'}</code> in their env
        or headers.
      </p>
      {unavailable && (
        <p className="store-warning" role="status" data-testid="secrets-unavailable">
          {unavailable} Servers that refer to a secret cannot start.
        </p>
      )}
      {notice && (
        <p className="created-token" role="status">
          {notice}
        </p>
      )}
      <ErrorText message={error ?? secrets.error} />
      <form className="panel token-form" aria-label="Add a secret" onSubmit={(e) => void handleAdd(e)} noValidate>
        <label>
          Name
          <input value={newName} placeholder="e.g. github-token" autoComplete="off" onChange={(e) => setNewName(e.target.value)} />
        </label>
        <label>
          Value
          <input type="password" value={newValue} autoComplete="new-password" onChange={(e) => setNewValue(e.target.value)} />
        </label>
        <button type="submit" className="button primary" disabled={unavailable !== undefined}>
          Add secret
        </button>
      </form>
      {secrets.data && rows.length === 0 && <p className="muted">No secrets stored.</p>}
      {rows.length > 0 && (
        <table className="table panel" aria-label="Secrets">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Used by</th>
              <th scope="col">Set</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.name} data-secret={row.name}>
                <td>
                  <code>{row.name}</code>
                </td>
                <td>{usesText(row)}</td>
                <td className={row.updatedAt ? undefined : 'error-text'}>{row.updatedAt ? when(row.updatedAt) : 'not set'}</td>
                <td className="row-actions">
                  <button type="button" className="button small" aria-label={`${row.updatedAt ? 'Rotate' : 'Set'} ${row.name}`} disabled={unavailable !== undefined} onClick={() => openSet(row)}>
                    {row.updatedAt ? 'Rotate' : 'Set'}
                  </button>
                  {row.updatedAt && (
                    <button type="button" className="button small danger" aria-label={`Delete ${row.name}`} onClick={() => setEditing({ kind: 'delete', row })}>
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editingSet && (
        <ConfirmDialog
          title={`${editingSet.updatedAt ? 'Rotate' : 'Set'} ${editingSet.name}`}
          confirmLabel={doubled ? 'Store it anyway' : 'Store'}
          confirmDisabled={value === ''}
          onConfirm={() => void handleSetConfirmed(editingSet, value)}
          onCancel={() => setEditing(undefined)}
        >
          <label className="dialog-field">
            New value
            <input type="password" autoFocus value={value} autoComplete="new-password" onChange={(e) => setValue(e.target.value)} />
          </label>
          {editingSet.usedBy.length > 0 && <p className="hint">Used by {usesText(editingSet)}; each picks the new value up at its next start.</p>}
          {doubled && (
            <div className="store-warning" role="alert" data-testid="doubled-scheme">
              <p>
                The value starts with “{doubled.scheme} ”, and {doubled.where} already writes “{doubled.scheme} ” before the secret: the server would
                be sent “{doubled.scheme} {doubled.scheme} …”.
              </p>
              <button type="button" className="button small" onClick={() => setValue(value.slice(doubled.scheme.length).trimStart())}>
                Remove “{doubled.scheme} ” from the value
              </button>
            </div>
          )}
        </ConfirmDialog>
      )}
      {editing?.kind === 'delete' && (
        <ConfirmDialog
          title={`Delete ${editing.row.name}?`}
          confirmLabel={editing.row.usedBy.length > 0 ? 'Delete it anyway' : 'Delete'}
          danger
          onConfirm={() => void handleDeleteConfirmed(editing.row)}
          onCancel={() => setEditing(undefined)}
        >
          {editing.row.usedBy.length > 0 ? (
            <p className="store-warning" data-testid="delete-in-use">
              {editing.row.usedBy.length === 1 ? 'Server' : 'Servers'} {editing.row.usedBy.join(', ')} {editing.row.usedBy.length === 1 ? 'uses' : 'use'} it
              ({usesText(editing.row)}): {editing.row.usedBy.length === 1 ? 'it' : 'they'} cannot start again until it is set.
            </p>
          ) : (
            <p>No server uses it.</p>
          )}
          <p>The value cannot be recovered.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
