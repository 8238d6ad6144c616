/**
 * Time bounds as the audit API takes them (`24h`, ISO, epoch ms; `shared/time-bound.ts`), and
 * their `<input type="datetime-local">` form.
 */
import { parseTimeBound } from '../../../../shared/time-bound.js';

/** The time `text` means at `now`, or undefined (the gateway's own rule). */
export function resolveBound(text: string | undefined, now: number): number | undefined {
  return text === undefined ? undefined : parseTimeBound(text, now);
}

/** `YYYY-MM-DDTHH:mm` in local time, for a datetime-local input. */
export function toLocalInput(ms: number | undefined): string {
  if (ms === undefined) return '';
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value (local time) as an ISO instant for the URL; '' stays ''. */
export function fromLocalInput(value: string): string {
  if (!value) return '';
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString();
}
