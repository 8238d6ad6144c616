/**
 * `gatehouse serve` flags for the gateway's limits, made from the keys of
 * `limitsOverrideSchema` (camelCase key → kebab-case flag: `maxBodyBytes` → `--max-body-bytes`),
 * so a limit added there gets its flag, its help line and its validation without a change here.
 */
import type { ParseArgsOptionsConfig } from 'node:util';
import { z } from 'zod';
import { limitFacts } from '../core/security/limit-settings.js';
import { DEFAULT_LIMITS, limitKeys, limitsOverrideSchema, type GatewayLimits } from '../core/security/limits.js';
import type { LimitUnit } from '../../shared/control-api.js';

/** The flag of a limit key: `maxBodyBytes` → `max-body-bytes`. */
export function limitFlag(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The `parseArgs` options of every limit flag (each takes a value). */
export function limitParseOptions(): ParseArgsOptionsConfig {
  return Object.fromEntries(limitKeys().map((key) => [limitFlag(key), { type: 'string' as const }]));
}

/**
 * The limits given on the command line, checked with the schema, or an error that names the
 * flag, the rule and the value given.
 */
export function parseLimitFlags(values: Readonly<Record<string, unknown>>): { limits: Partial<GatewayLimits> } | { error: string } {
  const given: Record<string, unknown> = {};
  const raw: Record<string, string> = {};
  for (const key of limitKeys()) {
    const value = values[limitFlag(key)];
    if (typeof value !== 'string') continue;
    raw[key] = value;
    given[key] = toValue(value);
  }
  const parsed = limitsOverrideSchema.safeParse(given);
  if (parsed.success) return { limits: parsed.data as Partial<GatewayLimits> };
  const problems = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    return `--${limitFlag(key)} ${describeIssue(issue)} (got "${raw[key] ?? ''}")`;
  });
  return { error: problems.join('; ') };
}

/** The help lines of the limit flags: flag, what it limits and its default. */
export function limitFlagsHelp(): string {
  const defaults = DEFAULT_LIMITS as unknown as Record<string, unknown>;
  return limitKeys()
    .map((key) => {
      // The same title and unit Settings shows, from the schema's meta.
      const { title, unit } = limitFacts(key as keyof GatewayLimits);
      const fallback = defaults[key] === undefined ? '' : ` (default ${String(defaults[key])}${UNIT_WORDS[unit]})`;
      return `  --${`${limitFlag(key)} N`.padEnd(28)}${title}${fallback}`;
    })
    .join('\n');
}

const UNIT_WORDS: Record<LimitUnit, string> = { bytes: ' bytes', ms: ' ms', 'per-second': '', count: '' };

/** Numbers and booleans as the schema expects them; anything else stays text for its error. */
function toValue(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
  if (trimmed !== '' && Number.isFinite(Number(trimmed))) return Number(trimmed);
  return text;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      return `must be ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}`;
    case 'too_big':
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`;
    case 'invalid_type':
      return issue.expected === 'int' ? 'must be a whole number' : `must be a ${issue.expected}`;
    default:
      return issue.message;
  }
}
