/**
 * Resource limits of the gateway, with their defaults in one place. Each refusal has its own
 * clear answer: 413 for a body over `maxBodyBytes`, 429 with `Retry-After` over the rate, 503
 * when `maxSessions` (or a token's `maxSessionsPerToken`) are open, a timeout error after
 * `toolCallTimeoutMs`, and Node closes connections that are too slow to send headers.
 */
import type { Server } from 'node:http';
import { z } from 'zod';
import { DEFAULT_BURST, DEFAULT_RATE_PER_SECOND } from './rate-limit.js';

/** Every limit, all in one object so the CLI and the registry settings can override any of them. */
export interface GatewayLimits {
  /** Largest request body read into memory (JSON-RPC messages, admin bodies). 4 MiB, as body.ts. */
  maxBodyBytes: number;
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
  /**
   * Open MCP client sessions of every kind together (aggregate, bridged and pass-through, over
   * streamable HTTP and legacy SSE); the next gets 503. 256.
   */
  maxSessions: number;
  /**
   * Open sessions of one client token (every kind counts); its next gets 503, other tokens still
   * get in. 128: half of `maxSessions`, so one runaway client cannot take every slot, while an AI
   * client running 64 parallel agents through two ways at once still fits.
   */
  maxSessionsPerToken: number;
  /**
   * How long the gateway waits for a backend's answer to one request (a tool call, a list,
   * `initialize`) before it answers the client with a timeout error and sends the backend
   * `notifications/cancelled`; progress restarts the clock. The same on every way through the
   * gateway. A remote server's own `timeout` setting takes precedence. 60 s.
   */
  toolCallTimeoutMs: number;
  /** Sustained requests per second per token. 50. */
  ratePerSecond: number;
  /** Requests a token may make at once. 100. */
  rateBurst: number;
}

/** The defaults, documented on {@link GatewayLimits}. */
export const DEFAULT_LIMITS: Readonly<GatewayLimits> = Object.freeze({
  maxBodyBytes: 4 * 1024 * 1024,
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 5_000,
  sessionIdleMs: 30 * 60_000,
  maxSessions: 256,
  maxSessionsPerToken: 128,
  toolCallTimeoutMs: 60_000,
  ratePerSecond: DEFAULT_RATE_PER_SECOND,
  rateBurst: DEFAULT_BURST,
});

const positiveInt = z.int().positive();

/** Zod schema of a partial override (unknown keys are errors, so typos do not pass silently). */
export const limitsOverrideSchema = z.strictObject({
  maxBodyBytes: positiveInt.max(1024 * 1024 * 1024).optional(),
  headersTimeoutMs: positiveInt.optional(),
  requestTimeoutMs: z.int().nonnegative().optional(),
  keepAliveTimeoutMs: positiveInt.optional(),
  sessionIdleMs: positiveInt.optional(),
  maxSessions: positiveInt.optional(),
  maxSessionsPerToken: positiveInt.optional(),
  toolCallTimeoutMs: positiveInt.optional(),
  ratePerSecond: z.number().positive().optional(),
  rateBurst: positiveInt.optional(),
});

/**
 * The defaults with `overrides` applied.
 *
 * @throws Error naming each invalid field.
 */
export function resolveLimits(overrides: unknown = {}): GatewayLimits {
  const parsed = limitsOverrideSchema.safeParse(overrides);
  if (!parsed.success) throw new Error(`invalid limits: ${z.prettifyError(parsed.error)}`);
  const defined = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_LIMITS, ...defined };
}

/**
 * Applies the connection-level limits to a `node:http` server. Node requires `headersTimeout`
 * to be at most `requestTimeout` when the latter is set, so it is clamped.
 */
export function applyHttpLimits(server: Server, limits: Readonly<GatewayLimits>): void {
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = limits.requestTimeoutMs > 0 ? Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) : limits.headersTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
}
