/**
 * The normalized server definitions as the registry stores them, checked on load so a
 * hand-edited or old `registry.json` cannot feed the gateway a malformed entry.
 *
 * Runs in every process (main, renderer, browser): no `node:*` imports here.
 */
import { z } from 'zod';
import type { ServerConfig } from './server-config.js';

/** Building blocks shared with the user-facing parser in `config-schema.ts`. */
export const nonEmptyString = z.string().refine((s) => s.trim().length > 0);
export const stringRecord = z.record(z.string(), z.string());
export const httpUrl = z.url({ protocol: /^https?$/ });
export const positiveMs = z.int().positive();
export const globList = z.array(z.string().min(1));
export const nonNegativeInt = z.int().nonnegative();
export const restartPolicy = z.enum(['on-failure', 'never']);
export const startupMode = z.enum(['eager', 'lazy']);

const toolFilterSchema = z.strictObject({
  allow: globList.optional(),
  block: globList.optional(),
});

/** Supervision settings every server may carry (absent means the default). */
const supervisionFields = {
  restart: restartPolicy.optional(),
  maxRestarts: nonNegativeInt.optional(),
  pingIntervalMs: nonNegativeInt.optional(),
};

const stdioServerSchema = z.object({
  transport: z.literal('stdio'),
  enabled: z.boolean(),
  toolFilter: toolFilterSchema.optional(),
  ...supervisionFields,
  startup: startupMode.optional(),
  idleTimeoutMs: positiveMs.optional(),
  command: nonEmptyString,
  args: z.array(z.string()),
  env: stringRecord,
  cwd: nonEmptyString.optional(),
  isolation: z.enum(['shared', 'per-client']),
});

const remoteServerSchema = z.object({
  transport: z.enum(['sse', 'streamable-http']),
  enabled: z.boolean(),
  toolFilter: toolFilterSchema.optional(),
  ...supervisionFields,
  url: httpUrl,
  headers: stringRecord,
  timeout: positiveMs.optional(),
  sseReadTimeout: positiveMs.optional(),
  oauth: z
    .union([
      z.literal(false),
      z.object({ clientId: z.string().min(1).optional(), scopes: z.array(z.string()).optional(), clientMetadataUrl: z.string().optional() }),
    ])
    .optional(),
});

/**
 * Zod schema of the normalized {@link ServerConfig} (the registry's stored shape, not the
 * user-facing `mcpServers` entry). Unknown keys are stripped. Use it to validate data that was
 * already normalized once, such as `registry.json` on load; use {@link parseServerEntry} for
 * anything a person wrote.
 */
export const serverConfigSchema: z.ZodType<ServerConfig> = z.discriminatedUnion('transport', [
  stdioServerSchema,
  remoteServerSchema,
]);
