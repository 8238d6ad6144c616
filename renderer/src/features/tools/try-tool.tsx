import { useId, useMemo, useState, type FormEvent, type ReactElement } from 'react';
import type { ToolCallAnswer, ToolView } from '../../../../shared/control-api.js';
import { ErrorText } from '../../components/error-text.js';
import { useApi } from '../../hooks/use-api.js';
import { describeError } from '../../hooks/use-poll.js';
import { JsonInput, SchemaFields } from './schema-form.js';
import { initialArguments, isRecord, missingOrInvalid } from './schema-model.js';
import { ToolResult } from './tool-result.js';

/**
 * "Try it": a form drawn from the tool's input schema (or its arguments as JSON), run through
 * the gateway as the admin, with the answer and the audit entry it left.
 */
export function TryTool({ tool, onClose }: { tool: ToolView; onClose: () => void }): ReactElement {
  const api = useApi();
  const schema = tool.inputSchema;
  const [args, setArgs] = useState<Record<string, unknown>>(() => initialArguments(schema));
  const [mode, setMode] = useState<'form' | 'json'>('form');
  // Bumped when switching modes, so each editor starts again from the current arguments.
  const [generation, setGeneration] = useState(0);
  const [running, setRunning] = useState(false);
  const [answer, setAnswer] = useState<ToolCallAnswer>();
  const [error, setError] = useState<string>();
  const [touched, setTouched] = useState(false);
  const jsonId = useId();
  const problems = useMemo(() => (schema ? missingOrInvalid(schema, args) : []), [schema, args]);

  function handleProperty(name: string, value: unknown): void {
    setArgs(({ [name]: _old, ...rest }) => (value === undefined ? rest : { ...rest, [name]: value }));
  }
  function handleJson(value: unknown): void {
    if (isRecord(value)) setArgs(value);
    else if (value === undefined) setArgs({});
  }
  function handleMode(next: 'form' | 'json'): void {
    setMode(next);
    setGeneration((g) => g + 1);
  }

  async function handleRun(event: FormEvent): Promise<void> {
    event.preventDefault();
    setTouched(true);
    if (problems.length > 0) return;
    setRunning(true);
    setError(undefined);
    try {
      setAnswer(await api.callTool({ server: tool.server, tool: tool.name, arguments: args }));
    } catch (err) {
      setAnswer(undefined);
      setError(describeError(err));
    } finally {
      setRunning(false);
    }
  }

  return (
    <form className="try-tool" aria-label={`Try ${tool.name}`} onSubmit={(e) => void handleRun(e)} noValidate>
      <div className="try-head">
        <h3>
          Try <code>{tool.exposedName}</code>
        </h3>
        <div className="segmented" role="radiogroup" aria-label="Arguments as">
          {(['form', 'json'] as const).map((m) => (
            <label key={m} className={mode === m ? 'segment active' : 'segment'}>
              <input type="radio" name={`mode-${tool.server}-${tool.name}`} value={m} checked={mode === m} onChange={() => handleMode(m)} />
              {m === 'form' ? 'Form' : 'JSON'}
            </label>
          ))}
        </div>
      </div>
      {!tool.enabled && <p className="store-warning">This tool is switched off: the gateway refuses the call, as it would a client’s.</p>}
      {mode === 'form' && schema ? (
        <div className="schema-form" key={generation}>
          <SchemaFields schema={schema} value={args} onChange={handleProperty} />
        </div>
      ) : (
        <div className="schema-json" key={generation}>
          <label htmlFor={jsonId}>Arguments (JSON object)</label>
          <JsonInput id={jsonId} rows={8} value={args} onChange={handleJson} />
        </div>
      )}
      {touched && problems.length > 0 && (
        <ul className="problem-list" aria-live="polite">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <div className="form-actions">
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
        <button type="submit" className="button primary" disabled={running}>
          {running ? 'Running…' : 'Run'}
        </button>
      </div>
      <p className="hint">Runs through the gateway as you (the admin), with the server’s tool filter, and is recorded in the audit as from the control UI.</p>
      <ErrorText message={error} />
      {answer && <ToolResult answer={answer} />}
    </form>
  );
}
