/**
 * Time bounds as people write them for the audit (`since=24h`, `--until 2026-11-21`): one rule
 * for the gateway's query parser and the UI's time range.
 */

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A time bound as users write it: a duration back from `now` (`90s`, `30m`, `24h`, `7d`, `2w`),
 * an ISO date or date-time (`2026-11-21`, `2026-11-21T10:00:00Z`), or epoch milliseconds.
 * `undefined` when it is none of these.
 */
export function parseTimeBound(text: string, now: number): number | undefined {
  const trimmed = text.trim();
  const duration = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(trimmed);
  if (duration) return now - Number(duration[1]) * UNIT_MS[duration[2]!.toLowerCase()]!;
  if (/^\d{10,}$/.test(trimmed)) return Number(trimmed);
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const time = Date.parse(trimmed);
    return Number.isNaN(time) ? undefined : time;
  }
  return undefined;
}
