import { useMemo, useState, type FormEvent, type ReactElement } from 'react';
import { ErrorText } from '../../components/error-text.js';
import { Switch } from '../../components/switch.js';
import { describeError } from '../../hooks/use-poll.js';
import { useApi } from '../../hooks/use-api.js';
import { useSecretsUnavailable } from '../../hooks/use-gateway-info.js';
import { entryFromForm, newRow, validateForm, type KeyValueRow, type ServerFormState } from './form-model.js';

export interface ServerFormProps {
  initial: ServerFormState;
  isNew: boolean;
  existingNames: readonly string[];
  onDone: (name: string) => void;
  onCancel: () => void;
}

/** Add or edit one server, stdio or remote, checked with the config schema as you type. */
export function ServerForm({ initial, isNew, existingNames, onDone, onCancel }: ServerFormProps): ReactElement {
  const api = useApi();
  const [form, setForm] = useState(initial);
  const [touched, setTouched] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string>();
  const problems = useMemo(() => validateForm(form, existingNames, isNew), [form, existingNames, isNew]);
  const secretsUnavailable = useSecretsUnavailable();

  function update(patch: Partial<ServerFormState>): void {
    setTouched(true);
    setForm((f) => ({ ...f, ...patch }));
  }

  async function handleSubmit(event: FormEvent): Promise<void> {
    event.preventDefault();
    setTouched(true);
    if (problems.length > 0) return;
    setSaving(true);
    setSaveError(undefined);
    try {
      const { entry, moves } = entryFromForm(form);
      if (moves.length > 0 && secretsUnavailable !== undefined) {
        setSaveError(secretsUnavailable);
        return;
      }
      // Secrets first, so the server never starts with a reference to a missing secret.
      for (const move of moves) await api.setSecret(move.secret, move.value);
      if (isNew) await api.addServer(form.name, entry);
      else await api.putServer(form.name, entry);
      onDone(form.name);
    } catch (err) {
      setSaveError(describeError(err));
    } finally {
      setSaving(false);
    }
  }

  const rowsKey = form.kind === 'stdio' ? 'env' : 'headers';
  return (
    <form className="panel server-form" aria-label={isNew ? 'Add server' : `Edit ${form.name}`} onSubmit={(e) => void handleSubmit(e)} noValidate>
      <h2>{isNew ? 'Add a server' : `Edit ${form.name}`}</h2>
      <div className="form-grid">
        <label htmlFor="server-name">Name</label>
        <input
          id="server-name"
          value={form.name}
          readOnly={!isNew}
          autoFocus={isNew}
          placeholder="e.g. github"
          onChange={(e) => update({ name: e.target.value })}
        />
        <span id="kind-label">Kind</span>
        <div className="segmented" role="radiogroup" aria-labelledby="kind-label">
          {(['stdio', 'remote'] as const).map((kind) => (
            <label key={kind} className={form.kind === kind ? 'segment active' : 'segment'}>
              <input type="radio" name="kind" value={kind} checked={form.kind === kind} disabled={!isNew} onChange={() => update({ kind })} />
              {kind === 'stdio' ? 'Local program (stdio)' : 'Remote (HTTP)'}
            </label>
          ))}
        </div>
        {form.kind === 'stdio' ? (
          <>
            <label htmlFor="server-command">Command</label>
            <input id="server-command" value={form.command} placeholder="npx, uvx, node, docker…" onChange={(e) => update({ command: e.target.value })} />
            <span id="args-label">Arguments</span>
            <ArgsEditor args={form.args} onChange={(args) => update({ args })} />
            <label htmlFor="server-cwd">Working folder</label>
            <input id="server-cwd" value={form.cwd} placeholder="(the gateway's own)" onChange={(e) => update({ cwd: e.target.value })} />
          </>
        ) : (
          <>
            <label htmlFor="server-url">URL</label>
            <input id="server-url" type="url" value={form.url} placeholder="https://example.com/mcp" onChange={(e) => update({ url: e.target.value })} />
            <label htmlFor="server-type">Transport</label>
            <select id="server-type" value={form.type} onChange={(e) => update({ type: e.target.value as ServerFormState['type'] })}>
              <option value="streamable-http">Streamable HTTP</option>
              <option value="sse">SSE (legacy)</option>
            </select>
            <label htmlFor="server-timeout">Timeout (ms)</label>
            <input id="server-timeout" inputMode="numeric" value={form.timeout} placeholder="60000" onChange={(e) => update({ timeout: e.target.value })} />
            <label htmlFor="server-sse-timeout">SSE read timeout (ms)</label>
            <input
              id="server-sse-timeout"
              inputMode="numeric"
              value={form.sseReadTimeout}
              placeholder="300000"
              onChange={(e) => update({ sseReadTimeout: e.target.value })}
            />
          </>
        )}
        <span id="rows-label">{form.kind === 'stdio' ? 'Environment' : 'Headers'}</span>
        <KeyValueEditor
          labelledBy="rows-label"
          noun={form.kind === 'stdio' ? 'variable' : 'header'}
          rows={form[rowsKey]}
          onChange={(rows) => update({ [rowsKey]: rows })}
          {...(secretsUnavailable !== undefined ? { secretsUnavailable } : {})}
        />
        <span id="enabled-label">Enabled</span>
        <Switch checked={form.enabled} label="Enabled" onChange={(enabled) => update({ enabled })} />
      </div>
      <div aria-live="polite" className="problems">
        {touched && problems.length > 0 && (
          <ul className="problem-list">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
      </div>
      <ErrorText message={saveError} />
      <div className="form-actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button primary" disabled={saving || (touched && problems.length > 0)}>
          {saving ? 'Saving…' : isNew ? 'Add server' : 'Save'}
        </button>
      </div>
    </form>
  );
}

function ArgsEditor({ args, onChange }: { args: string[]; onChange: (args: string[]) => void }): ReactElement {
  function setArg(index: number, value: string): void {
    onChange(args.map((a, i) => (i === index ? value : a)));
  }
  function removeArg(index: number): void {
    onChange(args.filter((_, i) => i !== index));
  }
  return (
    <div className="list-editor" role="group" aria-labelledby="args-label">
      {args.map((arg, index) => (
        <div className="list-row" key={index}>
          <input aria-label={`Argument ${index + 1}`} value={arg} onChange={(e) => setArg(index, e.target.value)} />
          <button type="button" className="button small" aria-label={`Remove argument ${index + 1}`} onClick={() => removeArg(index)}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" className="button small" onClick={() => onChange([...args, ''])}>
        Add argument
      </button>
    </div>
  );
}

interface KeyValueEditorProps {
  labelledBy: string;
  noun: string;
  rows: KeyValueRow[];
  onChange: (rows: KeyValueRow[]) => void;
  /** Why no value can go to the secret store: the "secret" boxes are off and this is shown. */
  secretsUnavailable?: string;
}

function KeyValueEditor({ labelledBy, noun, rows, onChange, secretsUnavailable }: KeyValueEditorProps): ReactElement {
  function patch(id: number, change: Partial<KeyValueRow>): void {
    onChange(rows.map((r) => (r.id === id ? { ...r, ...change } : r)));
  }
  return (
    <div className="list-editor" role="group" aria-labelledby={labelledBy}>
      {rows.map((row, index) => (
        <div className="list-row kv-row" key={row.id}>
          <input aria-label={`${noun} ${index + 1} name`} value={row.key} placeholder="NAME" onChange={(e) => patch(row.id, { key: e.target.value })} />
          <input
            aria-label={`${noun} ${index + 1} value`}
            type={row.secret || row.kept ? 'password' : 'text'}
            value={row.value}
            placeholder={row.kept ? '(unchanged, hidden)' : 'value'}
            autoComplete="off"
            onChange={(e) => patch(row.id, { value: e.target.value })}
          />
          <label className="check">
            <input
              type="checkbox"
              checked={row.secret && secretsUnavailable === undefined}
              disabled={secretsUnavailable !== undefined}
              aria-describedby={secretsUnavailable !== undefined ? `${labelledBy}-no-secrets` : undefined}
              onChange={(e) => patch(row.id, { secret: e.target.checked })}
            />
            secret
          </label>
          {row.secretRef && row.secret && (
            <span className="muted secret-ref" data-testid="secret-ref">
              in <code>{row.secretRef}</code>
            </span>
          )}
          <button type="button" className="button small" aria-label={`Remove ${noun} ${index + 1}`} onClick={() => onChange(rows.filter((r) => r.id !== row.id))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" className="button small" onClick={() => onChange([...rows, newRow()])}>
        Add {noun}
      </button>
      {secretsUnavailable !== undefined && (
        <p className="store-warning" id={`${labelledBy}-no-secrets`} data-testid="form-secrets-unavailable">
          {secretsUnavailable} Values typed here are saved in the server’s config as plain text.
        </p>
      )}
    </div>
  );
}
