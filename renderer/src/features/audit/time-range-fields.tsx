import { useState, type ReactElement } from 'react';
import { fromLocalInput, resolveBound, toLocalInput } from './time-range.js';

const PRESETS: ReadonlyArray<[string, string]> = [
  ['', 'any time'],
  ['15m', 'last 15 min'],
  ['1h', 'last hour'],
  ['24h', 'last 24 h'],
  ['7d', 'last 7 days'],
];
const CUSTOM = 'custom';

/**
 * The time-range part of the audit filter form: a preset or a custom start, and an optional
 * end. It submits `since` and `until` as hidden fields, in the form the URL keeps.
 */
export function TimeRangeFields({ since, until }: { since: string | undefined; until: string | undefined }): ReactElement {
  const isPreset = PRESETS.some(([value]) => value === (since ?? ''));
  const [mode, setMode] = useState(isPreset ? (since ?? '') : CUSTOM);
  const [from, setFrom] = useState(isPreset ? '' : toLocalInput(resolveBound(since, Date.now())));
  const [to, setTo] = useState(toLocalInput(resolveBound(until, Date.now())));
  const sinceValue = mode === CUSTOM ? fromLocalInput(from) : mode;
  return (
    <>
      <label>
        Since
        <select aria-label="Since" value={mode} onChange={(e) => setMode(e.target.value)}>
          {PRESETS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
          <option value={CUSTOM}>from a date…</option>
        </select>
      </label>
      {mode === CUSTOM && (
        <label>
          From
          <input type="datetime-local" aria-label="From" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
      )}
      <label>
        Until
        <input type="datetime-local" aria-label="Until" value={to} onChange={(e) => setTo(e.target.value)} />
      </label>
      <input type="hidden" name="since" value={sinceValue} />
      <input type="hidden" name="until" value={fromLocalInput(to)} />
    </>
  );
}
