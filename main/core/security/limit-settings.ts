/**
 * The limits as Settings shows and edits them, generic over the keys of
 * {@link limitsOverrideSchema}: titles, units, bounds and whether a change applies live come
 * from the schema (its `.meta()` and the JSON Schema zod derives from it), so a limit added
 * there appears in the admin API and the UI with nothing more to write.
 */
import { z } from 'zod';
import type { LimitSetting, LimitUnit } from '../../../shared/control-api.js';
import { DEFAULT_LIMITS, limitKeys, limitsOverrideSchema, parseLimitsOverride, resolveLimits, type GatewayLimits, type LimitMeta, type LimitsOverride } from './limits.js';

/** What Settings needs to know of one limit, besides its values. */
export type LimitFacts = Pick<LimitSetting, 'title' | 'description' | 'unit' | 'applies' | 'integer' | 'min' | 'minExclusive' | 'max'>;

let factsByKey: Map<string, LimitFacts> | undefined;

/** What the schema says of one limit (title, description, unit, bounds), for Settings and `serve --help`. */
export function limitFacts(key: keyof GatewayLimits): LimitFacts {
  return allFacts().get(key)!;
}

/** Facts of every limit, read once from the schema. */
function allFacts(): Map<string, LimitFacts> {
  if (factsByKey) return factsByKey;
  const json = z.toJSONSchema(limitsOverrideSchema) as { properties?: Record<string, JsonSchemaNumber> };
  factsByKey = new Map(limitKeys().map((key) => [key, factsOf(key, json.properties?.[key] ?? {})]));
  return factsByKey;
}

interface JsonSchemaNumber extends LimitMeta {
  type?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
}

function factsOf(key: string, schema: JsonSchemaNumber): LimitFacts {
  const integer = schema.type === 'integer';
  // An integer above 0 is at least 1: say it the way people read it.
  const min = schema.exclusiveMinimum !== undefined && integer ? schema.exclusiveMinimum + 1 : (schema.minimum ?? schema.exclusiveMinimum);
  const minExclusive = schema.exclusiveMinimum !== undefined && !integer;
  const max = schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER ? schema.maximum : undefined;
  return {
    title: schema.title ?? humanize(key),
    description: schema.description ?? '',
    unit: schema.unit ?? unitOf(key),
    applies: schema.applies ?? 'restart',
    integer,
    ...(min !== undefined ? { min } : {}),
    ...(minExclusive ? { minExclusive } : {}),
    ...(max !== undefined ? { max } : {}),
  };
}

/** `maxSessionsPerToken` → `Max sessions per token`. */
function humanize(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function unitOf(key: string): LimitUnit {
  if (key.endsWith('Ms')) return 'ms';
  if (key.endsWith('Bytes')) return 'bytes';
  if (key.endsWith('PerSecond')) return 'per-second';
  return 'count';
}

/** Limits the running gateway picks up as soon as their setting changes (`applies: 'live'` in their meta). */
export function liveLimitKeys(): Array<keyof GatewayLimits> {
  return limitKeys().filter((key) => allFacts().get(key)?.applies === 'live');
}

/** What the gateway knows about its limits, for {@link describeLimits}. */
export interface LimitsState {
  /** In force now. */
  running: Readonly<GatewayLimits>;
  /** From `serve` flags (or the embedding app): win over the settings. */
  flags: Readonly<LimitsOverride>;
  /** Saved in the registry's settings. */
  saved: Readonly<LimitsOverride>;
}

/** Every limit as Settings shows it, in the schema's order. */
export function describeLimits(state: Readonly<LimitsState>): LimitSetting[] {
  return limitKeys().map((key) => {
    const facts = allFacts().get(key)!;
    const flag = state.flags[key];
    const saved = state.saved[key];
    const configured = flag ?? saved ?? DEFAULT_LIMITS[key];
    return {
      key,
      ...facts,
      value: state.running[key],
      configured,
      default: DEFAULT_LIMITS[key],
      ...(saved !== undefined ? { saved } : {}),
      source: flag !== undefined ? 'flag' : saved !== undefined ? 'settings' : 'default',
    };
  });
}

/** Outcome of {@link applyLimitsPatch}: the limits to save, or one message per bad field. */
export type LimitsPatchResult = { ok: true; limits: LimitsOverride } | { ok: false; errors: string[] };

/**
 * `saved` with a `PUT /admin/settings` body applied: `{ "limits": { "<key>": number | null } }`,
 * `null` going back to the default. Each problem names its field (`limits.<key>: ...`).
 */
export function applyLimitsPatch(saved: Readonly<LimitsOverride>, body: unknown): LimitsPatchResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, errors: ['body: must be a JSON object'] };
  const errors: string[] = [];
  for (const key of Object.keys(body)) if (key !== 'limits') errors.push(`${key}: not a setting (settings: limits)`);
  const patch = (body as { limits?: unknown }).limits ?? {};
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return { ok: false, errors: [...errors, 'limits: must be an object of limit names and numbers'] };
  const next: Record<string, number> = { ...saved };
  const shape: Record<string, z.ZodType> = limitsOverrideSchema.shape;
  for (const [key, value] of Object.entries(patch)) {
    const schema = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (!schema) {
      errors.push(`limits.${key}: no such limit (the limits: ${limitKeys().join(', ')})`);
    } else if (value === null) {
      delete next[key];
    } else if (typeof value !== 'number' || !schema.safeParse(value).success) {
      errors.push(`limits.${key}: ${expectation(allFacts().get(key)!)}, not ${JSON.stringify(value)}`);
    } else {
      next[key] = value;
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, limits: next as LimitsOverride };
}

/** "must be a whole number from 1 to 10000" and the like. */
function expectation(facts: LimitFacts): string {
  const kind = facts.integer ? 'a whole number' : 'a number';
  const { min, max } = facts;
  if (min !== undefined && max !== undefined) return `must be ${kind} ${facts.minExclusive ? `above ${min} and up to` : `from ${min} to`} ${max}`;
  if (min !== undefined) return `must be ${kind} ${facts.minExclusive ? 'above' : 'of at least'} ${min}`;
  if (max !== undefined) return `must be ${kind} up to ${max}`;
  return `must be ${kind}`;
}

/**
 * The limits of one running gateway: `serve` flags over the saved settings over the defaults.
 * Built at start; {@link update} follows changed settings for the live limits, and the others
 * keep the values they started with until the next start.
 */
export class LimitsInForce {
  readonly #flags: LimitsOverride;
  #current: GatewayLimits;

  /** @throws Error naming each invalid field of `flags`. */
  constructor(flags: unknown, saved: Readonly<LimitsOverride>) {
    this.#flags = parseLimitsOverride(flags);
    this.#current = resolveLimits({ ...saved, ...this.#flags });
  }

  /** In force now. */
  get current(): Readonly<GatewayLimits> {
    return this.#current;
  }

  /** Takes the live limits from changed settings; answers the ones whose value changed. */
  update(saved: Readonly<LimitsOverride>): Array<keyof GatewayLimits> {
    const configured = resolveLimits({ ...saved, ...this.#flags });
    const changed = liveLimitKeys().filter((key) => configured[key] !== this.#current[key]);
    if (changed.length > 0) this.#current = { ...this.#current, ...Object.fromEntries(changed.map((key) => [key, configured[key]])) };
    return changed;
  }

  /** Every limit as Settings shows it. */
  describe(saved: Readonly<LimitsOverride>): LimitSetting[] {
    return describeLimits({ running: this.#current, flags: this.#flags, saved });
  }
}
