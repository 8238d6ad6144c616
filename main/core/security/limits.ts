/**
 * Resource limits of the gateway, with their defaults in one place. Each refusal has its own
 * clear answer: 413 for a body over `maxBodyBytes`, 400 invalid request for JSON nested deeper
 * than `maxJsonDepth`, 429 with `Retry-After` over the rate, 503 when `maxSessions` are open,
 * and 408 (then the connection is closed) for a client too slow to send its headers.
 *
 * {@link limitsOverrideSchema} is the one list of limits: the registry's settings, the admin
 * API, the Settings screen and the `serve` flags are all driven by its keys, so a limit added
 * here (with a `title` and `description` in its `.meta()`) is settable everywhere at once.
 */
import type { Server } from 'node:http';
import { z } from 'zod';

/** Every limit, all in one object so the CLI and the registry settings can override any of them. */
export interface GatewayLimits {
  /** Largest request body read into memory (JSON-RPC messages, admin bodies). 4 MiB, as body.ts. */
  maxBodyBytes: number;
  /**
   * Deepest nesting of objects and arrays in a request body. 64: the JSON-RPC envelope takes two
   * levels, and no tool's arguments need sixty more; far deeper JSON (thousands of levels) would
   * overflow the stack of whatever walks it next (serializers, validators, the audit).
   */
  maxJsonDepth: number;
  /**
   * Time a client has to send the complete request headers (Node `server.headersTimeout`).
   * 20 s: long enough for any real client, short enough to starve a slowloris attack.
   */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included (Node `server.requestTimeout`). 5 min. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection between requests is closed after this (Node `keepAliveTimeout`). 5 s. */
  keepAliveTimeoutMs: number;
  /** An MCP session with no request for this long is closed (its backend session too). 30 min. */
  sessionIdleMs: number;
  /** Open MCP client sessions (aggregate and per-server together); the next gets 503. 256. */
  maxSessions: number;
  /** Sustained requests per second per token (only requests that cost something count). 1000. */
  ratePerSecond: number;
  /** Requests a token may make at once, after a quiet moment. 5000. */
  rateBurst: number;
}

/**
 * The defaults, documented on {@link GatewayLimits}. The rate limit is a brake for a runaway or
 * hostile process that holds a valid token, set far above what one person's clients do: 64
 * parallel agents firing 20 calls each at once are about 1,350 requests (within one burst), one
 * session calling flat out makes 200-800 calls/s through the gateway, and the whole gateway
 * serves at most about 1,200 (bench/README.md).
 */
export const DEFAULT_LIMITS: Readonly<GatewayLimits> = Object.freeze({
  maxBodyBytes: 4 * 1024 * 1024,
  maxJsonDepth: 64,
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 5_000,
  sessionIdleMs: 30 * 60_000,
  maxSessions: 256,
  ratePerSecond: 1_000,
  rateBurst: 5_000,
});

const positiveInt = z.int().positive();

/**
 * What `meta()` of a limit may say, for Settings: `title` and `description` (shown), `unit`
 * (otherwise guessed from the key: `...Ms`, `...Bytes`, `...PerSecond`), and `applies: 'live'`
 * for a limit the running gateway picks up when the setting changes (the others apply at the
 * next start).
 */
export interface LimitMeta {
  title?: string;
  description?: string;
  unit?: LimitUnit;
  applies?: 'live' | 'restart';
}

/** How a limit's number is read. */
export type LimitUnit = 'bytes' | 'ms' | 'per-second' | 'count';

const limit = <T extends z.ZodType>(schema: T, meta: LimitMeta): T => schema.meta(meta as Record<string, unknown>);

/** Zod schema of a partial override (unknown keys are errors, so typos do not pass silently). */
export const limitsOverrideSchema = z.strictObject({
  maxBodyBytes: limit(positiveInt.max(1024 * 1024 * 1024), {
    title: 'Request body',
    description: 'Largest request body the gateway reads; a larger one gets 413.',
    applies: 'live',
  }).optional(),
  maxJsonDepth: limit(positiveInt.max(10_000), {
    title: 'JSON nesting depth',
    description: 'Deepest nesting of objects and arrays in a request; deeper JSON gets an invalid-request error.',
    unit: 'count',
    applies: 'live',
  }).optional(),
  headersTimeoutMs: limit(positiveInt, {
    title: 'Request headers timeout',
    description: 'Time a client has to send its request headers; then it gets 408 and the connection is closed.',
  }).optional(),
  requestTimeoutMs: limit(z.int().nonnegative(), {
    title: 'Whole request timeout',
    description: 'Time a client has to send a whole request, body included (0: no limit).',
  }).optional(),
  keepAliveTimeoutMs: limit(positiveInt, {
    title: 'Idle connection timeout',
    description: 'An idle keep-alive connection between two requests is closed after this.',
  }).optional(),
  sessionIdleMs: limit(positiveInt, {
    title: 'Idle session timeout',
    description: 'An MCP session with no request for this long is closed, with its backend session.',
  }).optional(),
  maxSessions: limit(positiveInt, {
    title: 'Open sessions',
    description: 'MCP sessions open at once, aggregate and per-server together; the next one gets 503.',
  }).optional(),
  ratePerSecond: limit(z.number().positive().max(1_000_000), {
    title: 'Requests per token per second',
    description: 'Sustained rate of one token; only requests count (not notifications, ping or answers to the server). Over it: 429.',
    applies: 'live',
  }).optional(),
  rateBurst: limit(positiveInt.max(10_000_000), {
    title: 'Request burst per token',
    description: 'Requests one token may make at once after a quiet moment.',
    unit: 'count',
    applies: 'live',
  }).optional(),
});

/** A partial override of the limits, as the registry's settings and the `serve` flags hold it. */
export type LimitsOverride = z.infer<typeof limitsOverrideSchema>;

/** The names of every limit, in the schema's order. */
export function limitKeys(): Array<keyof GatewayLimits> {
  return Object.keys(limitsOverrideSchema.shape) as Array<keyof GatewayLimits>;
}

/**
 * `value` checked as a partial override, with its `undefined` fields left out.
 *
 * @throws Error naming each invalid field.
 */
export function parseLimitsOverride(value: unknown = {}): LimitsOverride {
  const parsed = limitsOverrideSchema.safeParse(value);
  if (!parsed.success) throw new Error(`invalid limits: ${z.prettifyError(parsed.error)}`);
  return definedOnly(parsed.data);
}

/**
 * The defaults with `overrides` applied.
 *
 * @throws Error naming each invalid field.
 */
export function resolveLimits(overrides: unknown = {}): GatewayLimits {
  return { ...DEFAULT_LIMITS, ...parseLimitsOverride(overrides) };
}

/** `value` without its `undefined` fields. */
export function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * How often Node checks the header and request timeouts of open connections. Node's own default
 * is every 30 s, which turned a 20 s header timeout into up to 50 s (29 s was measured); ten
 * checks per timeout, at least every second, keep it within a tenth of the limit.
 */
export function connectionsCheckingIntervalMs(limits: Readonly<GatewayLimits>): number {
  const shortest = limits.requestTimeoutMs > 0 ? Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) : limits.headersTimeoutMs;
  return Math.max(10, Math.min(1_000, Math.floor(shortest / 10)));
}

/**
 * Applies the connection-level limits to a `node:http` server. Node requires `headersTimeout`
 * to be at most `requestTimeout` when the latter is set, so it is clamped. The server must have
 * been created with {@link connectionsCheckingIntervalMs} for the timeouts to be kept on time.
 */
export function applyHttpLimits(server: Server, limits: Readonly<GatewayLimits>): void {
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = limits.requestTimeoutMs > 0 ? Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) : limits.headersTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
}
