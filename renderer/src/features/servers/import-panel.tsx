import { useMemo, useState, type ReactElement } from 'react';
import { applyImport, maskValue, planImport } from '../../../../shared/import-plan.js';
import { ErrorText } from '../../components/error-text.js';
import { useApi } from '../../hooks/use-api.js';
import { useSecretsUnavailable } from '../../hooks/use-gateway-info.js';
import { describeError } from '../../hooks/use-poll.js';

export interface ImportPanelProps {
  existingNames: readonly string[];
  onDone: () => void;
  onCancel: () => void;
}

/** Paste a Claude Desktop / Cursor / VS Code config, see what will happen, then import. */
export function ImportPanel({ existingNames, onDone, onCancel }: ImportPanelProps): ReactElement {
  const api = useApi();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const plan = useMemo(() => (text.trim() === '' ? undefined : planImport(text, existingNames)), [text, existingNames]);
  const secretsUnavailable = useSecretsUnavailable();
  // Credentials go to the secret store or nowhere: with no store, such an import cannot be done.
  const blocked = secretsUnavailable !== undefined && plan?.ok === true && plan.items.some((item) => item.moves.length > 0);

  async function handleFile(file: File | undefined): Promise<void> {
    if (file) setText(await file.text());
  }

  async function handleImport(): Promise<void> {
    if (!plan?.ok || blocked) return;
    setBusy(true);
    setError(undefined);
    try {
      await applyImport(api, plan.items);
      setText('');
      onDone();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="import-title">
      <h2 id="import-title">Import servers</h2>
      <p className="hint">
        Paste <code>claude_desktop_config.json</code>, Cursor's <code>mcp.json</code>, VS Code's <code>mcp.json</code>, or any{' '}
        <code>mcpServers</code> JSON. API keys and tokens go to the secret store; the registry keeps references.
      </p>
      <label htmlFor="import-text">Config JSON</label>
      <textarea
        id="import-text"
        className="code-input"
        rows={8}
        spellCheck={false}
        value={text}
        placeholder={'{ "mcpServers": { "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] } } }'}
        onChange={(e) => setText(e.target.value)}
      />
      <label className="file-pick">
        …or pick a file <input type="file" accept=".json,application/json" onChange={(e) => void handleFile(e.target.files?.[0])} />
      </label>
      <div aria-live="polite">
        {plan && !plan.ok && (
          <ul className="problem-list">
            {plan.errors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        )}
        {plan?.ok && (
          <table className="table preview" aria-label="Import preview">
            <thead>
              <tr>
                <th scope="col">Server</th>
                <th scope="col">Runs</th>
                <th scope="col">Goes to the secret store</th>
              </tr>
            </thead>
            <tbody>
              {plan.items.map((item) => (
                <tr key={item.name}>
                  <td>
                    <strong>{item.name}</strong> {item.replaces && <span className="badge outcome-refused">replaces existing</span>}
                  </td>
                  <td>
                    <code>{item.config.transport === 'stdio' ? [item.config.command, ...item.config.args].join(' ') : item.config.url}</code>
                  </td>
                  <td>
                    {item.moves.length === 0
                      ? 'nothing'
                      : item.moves.map((m) => (
                          <div key={m.field} className="secret-move">
                            <code>{m.field}</code> = <span className="masked">{maskValue(m.value)}</span> → <code>{m.reference}</code>
                          </div>
                        ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {blocked && (
        <p className="store-warning" role="status" data-testid="import-secrets-unavailable">
          {secretsUnavailable} These servers’ credentials would go to the secret store, so they cannot be imported now.
        </p>
      )}
      <ErrorText message={error} />
      <div className="form-actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="button primary" disabled={!plan?.ok || busy || blocked} onClick={() => void handleImport()}>
          {busy ? 'Importing…' : plan?.ok ? `Import ${plan.items.length} server${plan.items.length === 1 ? '' : 's'}` : 'Import'}
        </button>
      </div>
    </section>
  );
}
