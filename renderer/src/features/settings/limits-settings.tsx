import { useState, type FormEvent, type ReactElement } from 'react';
import { ControlApiError, type GatewaySettings, type LimitSetting, type LimitUnit, type SettingsPatch } from '../../../../shared/control-api.js';
import { ErrorText } from '../../components/error-text.js';
import { useApi } from '../../hooks/use-api.js';
import { describeError, usePoll } from '../../hooks/use-poll.js';

const UNIT_LABELS: Record<LimitUnit, string> = { bytes: 'bytes', ms: 'ms', 'per-second': 'per second', count: '' };

/** `4194304` bytes → `4 MiB`, `1800000` ms → `30 min`: the figure as people read it, when that differs. */
export function readableQuantity(unit: LimitUnit, value: number): string | undefined {
  if (unit === 'bytes') {
    for (const [size, name] of [[1024 ** 3, 'GiB'], [1024 ** 2, 'MiB'], [1024, 'KiB']] as const) {
      if (value >= size) return `${round(value / size)} ${name}`;
    }
  }
  if (unit === 'ms' && value >= 1000) {
    for (const [size, name] of [[3_600_000, 'h'], [60_000, 'min'], [1000, 's']] as const) {
      if (value >= size) return `${round(value / size)} ${name}`;
    }
  }
  return undefined;
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function withUnit(limit: LimitSetting, value: number): string {
  const readable = readableQuantity(limit.unit, value);
  const unit = UNIT_LABELS[limit.unit];
  return `${value}${unit ? ` ${unit}` : ''}${readable ? ` (${readable})` : ''}`;
}

/** `limits.<key>: message` details of a 400, by key. */
function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ControlApiError) || error.status !== 400) return {};
  const byKey: Record<string, string> = {};
  for (const detail of error.details) {
    const match = /^limits\.([^:]+): (.*)$/.exec(detail);
    if (match) byKey[match[1]!] = match[2]!;
  }
  return byKey;
}

/** A typed number as the gateway should get it: a number when it is one, the text otherwise (the gateway names what is wrong). */
function typedValue(text: string): number | string | null {
  if (text.trim() === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : text;
}

/**
 * The gateway's limits, generic over what `getSettings()` lists: each with its value, unit,
 * default, where it comes from, and whether a change applies at once or at the next start. The
 * gateway validates; a refused field shows its message beside it.
 */
export function LimitsSettings(): ReactElement {
  const api = useApi();
  const loaded = usePoll(() => api.getSettings(), 0);
  const [latest, setLatest] = useState<GatewaySettings>();
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string>();
  const [status, setStatus] = useState<string>();
  const [busy, setBusy] = useState(false);
  const settings = latest ?? loaded.data;

  async function save(patch: SettingsPatch): Promise<void> {
    setBusy(true);
    setFormError(undefined);
    setStatus(undefined);
    try {
      const next = await api.updateSettings(patch);
      setLatest(next);
      setDrafts({});
      setErrors({});
      const changed = next.limits.filter((l) => Object.hasOwn(patch.limits ?? {}, l.key));
      const later = changed.filter((l) => l.value !== l.configured).map((l) => l.title);
      setStatus(later.length > 0 ? `Saved. ${later.join(', ')}: applies at the next start of the gateway.` : 'Saved. In force now.');
    } catch (err) {
      const byField = fieldErrors(err);
      setErrors(byField);
      setFormError(Object.keys(byField).length > 0 ? 'Some limits were not saved: see the fields marked below.' : describeError(err));
    } finally {
      setBusy(false);
    }
  }

  function handleSubmit(event: FormEvent<HTMLFormElement>): void {
    event.preventDefault();
    const limits = Object.fromEntries(Object.entries(drafts).map(([key, text]) => [key, typedValue(text)]));
    void save({ limits: limits as Record<string, number | null> });
  }

  function handleChange(key: string, text: string): void {
    setDrafts((current) => ({ ...current, [key]: text }));
  }

  return (
    <section className="panel" aria-labelledby="limits-title">
      <h2 id="limits-title">Limits</h2>
      <p className="hint">
        What the gateway accepts from clients, and for how long. Saved in the data folder (<code>registry.json</code>); a <code>gatehouse serve</code> flag
        wins over a value saved here. Limits marked “applies at once” change as you save; the others at the gateway’s next start.
      </p>
      <ErrorText message={loaded.error} />
      {settings && (
        <form className="limits-form" aria-label="Limits" noValidate onSubmit={handleSubmit}>
          {settings.limits.map((limit) => (
            <LimitField
              key={limit.key}
              limit={limit}
              draft={drafts[limit.key]}
              error={errors[limit.key]}
              busy={busy}
              onChange={(text) => handleChange(limit.key, text)}
              onReset={() => void save({ limits: { [limit.key]: null } })}
            />
          ))}
          <ErrorText message={formError} />
          {status && (
            <p className="hint" role="status">
              {status}
            </p>
          )}
          <button type="submit" className="button primary" disabled={busy || Object.keys(drafts).length === 0}>
            {busy ? 'Saving…' : 'Save limits'}
          </button>
        </form>
      )}
    </section>
  );
}

interface LimitFieldProps {
  limit: LimitSetting;
  draft: string | undefined;
  error: string | undefined;
  busy: boolean;
  onChange(text: string): void;
  onReset(): void;
}

/** One limit: its input, unit and default, where its value comes from, and its error. */
function LimitField({ limit, draft, error, busy, onChange, onReset }: LimitFieldProps): ReactElement {
  const id = `limit-${limit.key}`;
  const fromFlag = limit.source === 'flag';
  const pending = limit.value !== limit.configured;
  return (
    <div className="limit-row" data-limit={limit.key}>
      <label htmlFor={id}>{limit.title}</label>
      <div className="limit-input">
        <input
          id={id}
          name={limit.key}
          type="number"
          inputMode="decimal"
          step={limit.integer ? 1 : 'any'}
          {...(limit.min !== undefined ? { min: limit.min } : {})}
          {...(limit.max !== undefined ? { max: limit.max } : {})}
          value={draft ?? String(limit.configured)}
          disabled={fromFlag || busy}
          aria-invalid={error !== undefined}
          aria-describedby={`${id}-hint${error !== undefined ? ` ${id}-error` : ''}`}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
        <span className="muted">{UNIT_LABELS[limit.unit]}</span>
        {limit.source === 'settings' && !fromFlag && (
          <button type="button" className="button small" disabled={busy} onClick={onReset} aria-label={`Use the default for ${limit.title}`}>
            Use default
          </button>
        )}
      </div>
      <p className="hint" id={`${id}-hint`}>
        {limit.description} Default {withUnit(limit, limit.default)}.{' '}
        <span data-testid="applies">{limit.applies === 'live' ? 'Applies at once.' : 'Applies at the next start of the gateway.'}</span>
        {fromFlag && <> Set by a <code>gatehouse serve</code> flag, which wins over this setting.</>}
        {pending && (
          <strong data-testid="pending">
            {' '}
            In force until the gateway restarts: {withUnit(limit, limit.value)}.
          </strong>
        )}
      </p>
      {error !== undefined && (
        <p className="error-text" id={`${id}-error`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
