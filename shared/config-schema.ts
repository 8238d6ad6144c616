/**
 * Parsing and validation of the `mcpServers` JSON that Claude Desktop, Cursor, Cline and others
 * use, into the normalized {@link ServerConfig} shape (`config-export.ts` goes back).
 *
 * Runs in every process (main, renderer, browser): no `node:*` imports here.
 *
 * Error messages are meant for people: exactly one message per problem, each naming the server
 * and the field, e.g. `server "x": "args" must be an array of strings`.
 */
import { z } from 'zod';
import { checkServerName } from './server-config.js';
import { globList, httpUrl, nonEmptyString, nonNegativeInt, positiveMs, restartPolicy, startupMode } from './stored-config-schema.js';
import { parseJsonText } from './json-text.js';
import { closestKey } from './spelling.js';
import type {
  Isolation,
  RemoteServerConfig,
  RestartPolicyKind,
  ServerConfig,
  StdioServerConfig,
  ToolFilter,
  TransportKind,
} from './server-config.js';

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

/** Result of {@link parseMcpServersConfig} and {@link parseConfigText}. */
export type McpServersParseResult =
  | { ok: true; servers: Record<string, ServerConfig> }
  | { ok: false; errors: string[] };

/** Result of {@link parseServerEntry}: the same `ok`/`errors` convention, for one server. */
export type ServerEntryParseResult =
  | { ok: true; config: ServerConfig }
  | { ok: false; errors: string[] };

// ---------------------------------------------------------------------------------------------
// Field vocabulary of a user-facing entry
// ---------------------------------------------------------------------------------------------

/** Values accepted in `type` / `transport`, mapped to the transport they mean. */
const TRANSPORT_ALIASES: Readonly<Record<string, TransportKind>> = {
  stdio: 'stdio',
  sse: 'sse',
  'streamable-http': 'streamable-http',
  streamableHttp: 'streamable-http',
  http: 'streamable-http',
};

const REMOTE_TYPES_DESCRIPTION = 'sse, streamable-http, http';

/** Keys every entry may carry (the last three are Gatehouse's supervision settings). */
const COMMON_KEYS = ['type', 'transport', 'enabled', 'disabled', 'toolFilter', 'disabledTools', 'restart', 'maxRestarts', 'pingIntervalMs'];

/**
 * Keys other clients write that mean nothing to Gatehouse and are dropped silently:
 * `description` (Goose, Kiro), `autoApprove` (Cline, Kiro), `alwaysAllow` (Roo Code).
 */
const IGNORED_KEYS = ['description', 'autoApprove', 'alwaysAllow'];

const STDIO_KEYS = ['command', 'args', 'env', 'cwd', 'isolation', 'startup', 'idleTimeoutMs'];
/** `timeout` on a stdio entry (Cline writes it, in seconds) is accepted and ignored. */
const STDIO_IGNORED_KEYS = ['timeout'];
const REMOTE_KEYS = ['url', 'headers', 'timeout', 'sseReadTimeout', 'oauth'];
const KNOWN_KEYS = new Set([...COMMON_KEYS, ...IGNORED_KEYS, ...STDIO_KEYS, ...STDIO_IGNORED_KEYS, ...REMOTE_KEYS]);

/** RFC 9110 `token`: what a header field name may consist of. */
const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/**
 * Parses a whole config document: `{ "mcpServers": {...} }` as Claude Desktop, Cursor and most
 * clients write it, or VS Code's `{ "servers": {...} }` (`mcp.json`) and `{ "mcp": { "servers":
 * {...} } }` (`settings.json`). `gatehouse serve --config` and the control UI's import both read
 * through here.
 *
 * Other top-level keys are ignored (Claude Desktop keeps its own settings in the same file, VS
 * Code its `inputs`). Servers keep the order of the input. Every problem of every server is
 * reported, one message each; the result is `ok` only when there are none.
 */
export function parseMcpServersConfig(input: unknown): McpServersParseResult {
  const section = serversSection(input);
  if (section === undefined) return { ok: false, errors: [`config: ${NO_SERVERS}`] };
  if (!isPlainObject(section.value)) {
    return { ok: false, errors: [`config: "${section.key}" must be an object`] };
  }
  const errors: string[] = [];
  const entries: Array<[string, ServerConfig]> = [];
  for (const [name, raw] of Object.entries(section.value)) {
    const result = parseServerEntry(name, raw);
    if (result.ok) entries.push([name, result.config]);
    else errors.push(...result.errors);
  }
  if (errors.length > 0) return { ok: false, errors };
  // Object.fromEntries defines own properties, so even a hostile key could not touch a prototype.
  return { ok: true, servers: Object.fromEntries(entries) };
}

const NO_SERVERS = 'no servers found: expected "mcpServers" (Claude Desktop, Cursor) or "servers" (VS Code)';

/** Where a document keeps its servers, and under which key (for messages). */
function serversSection(input: unknown): { key: string; value: unknown } | undefined {
  if (!isPlainObject(input)) return undefined;
  if (input['mcpServers'] !== undefined) return { key: 'mcpServers', value: input['mcpServers'] };
  if (input['servers'] !== undefined) return { key: 'servers', value: input['servers'] };
  const mcp = input['mcp'];
  if (isPlainObject(mcp) && mcp['servers'] !== undefined) return { key: 'mcp.servers', value: mcp['servers'] };
  return undefined;
}

/**
 * Parses `text` as JSON and then as a config document ({@link parseMcpServersConfig}).
 *
 * A leading byte-order mark (Notepad writes one) is tolerated. A syntax error is reported with
 * its place, `<source>: invalid JSON at line 3, column 31: ...`.
 */
export function parseConfigText(text: string, source: string): McpServersParseResult {
  const parsed = parseJsonText(text);
  if (!parsed.ok) return { ok: false, errors: [`${source}: ${parsed.error}`] };
  return parseMcpServersConfig(parsed.value);
}

/**
 * Parses one user-facing server entry (the value under `mcpServers.<name>`), as the admin API's
 * create and update requests carry it. Checks the name too.
 */
export function parseServerEntry(name: string, raw: unknown): ServerEntryParseResult {
  const errors: string[] = [];
  const report = (message: string): void => {
    errors.push(`server ${JSON.stringify(name)}: ${message}`);
  };

  const nameProblem = checkServerName(name);
  if (nameProblem !== undefined) report(nameProblem);

  if (!isPlainObject(raw)) {
    report('must be an object');
    return { ok: false, errors };
  }

  const kind = decideKind(raw, report);
  if (kind === undefined) return { ok: false, errors };

  checkKeys(raw, kind, report);
  const common = readCommon(raw, report);
  const config = kind === 'stdio' ? readStdio(raw, common, report) : readRemote(raw, kind, common, report);

  if (errors.length > 0 || config === undefined) return { ok: false, errors };
  return { ok: true, config };
}

type Report = (message: string) => void;

interface CommonFields {
  enabled: boolean;
  toolFilter?: ToolFilter;
  restart?: RestartPolicyKind;
  maxRestarts?: number;
  pingIntervalMs?: number;
}

/**
 * Works out the transport from `command`/`url` and `type`/`transport`. Reports and returns
 * `undefined` when the entry cannot be classified.
 */
function decideKind(raw: Record<string, unknown>, report: Report): TransportKind | undefined {
  const hasCommand = raw['command'] !== undefined;
  const hasUrl = raw['url'] !== undefined;

  let declared: TransportKind | undefined;
  let declaredKey: 'type' | 'transport' | undefined;
  for (const key of ['type', 'transport'] as const) {
    const value = raw[key];
    if (value === undefined) continue;
    const mapped = typeof value === 'string' && Object.hasOwn(TRANSPORT_ALIASES, value)
      ? TRANSPORT_ALIASES[value]
      : undefined;
    if (mapped === undefined) {
      report(hasCommand
        ? `"${key}" must be "stdio" for a server with "command" (got ${describeValue(value)})`
        : `"${key}" must be one of ${REMOTE_TYPES_DESCRIPTION} (got ${describeValue(value)})`);
      continue;
    }
    if (declared !== undefined && declared !== mapped) {
      report(`"type" and "transport" disagree (${describeValue(raw['type'])} and ${describeValue(raw['transport'])})`);
      return undefined;
    }
    declared = mapped;
    declaredKey = key;
  }

  if (hasCommand && hasUrl) {
    report('has both "command" and "url"');
    return undefined;
  }
  if (hasCommand) {
    if (declared !== undefined && declared !== 'stdio') {
      report(`"${declaredKey}" is ${describeValue(raw[declaredKey ?? 'type'])}, which needs "url" instead of "command"`);
      return undefined;
    }
    return 'stdio';
  }
  if (hasUrl) {
    if (declared === 'stdio') {
      report(`"${declaredKey}" is "stdio", which needs "command" instead of "url"`);
      return undefined;
    }
    // With an invalid `type` (already reported) keep validating as the default transport, so
    // that the other problems of the entry are reported in the same pass.
    return declared ?? 'streamable-http';
  }
  // A misspelt "command" or "url" is the likeliest reason for neither: say so instead.
  const wanted = declared === 'stdio' ? ['command'] : declared !== undefined ? ['url'] : ['command', 'url'];
  const typos = Object.keys(raw).flatMap((key) => {
    const suggestion = KNOWN_KEYS.has(key) ? undefined : closestKey(key, wanted);
    return suggestion ? [`unknown field ${JSON.stringify(key)} (did you mean "${suggestion}"?)`] : [];
  });
  if (typos.length > 0) typos.forEach(report);
  else if (declared === 'stdio') report('stdio server needs "command"');
  else if (declared !== undefined) report('remote server needs "url"');
  else report('needs either "command" (stdio) or "url" (remote)');
  return undefined;
}

/** Rejects keys that mean nothing for this kind of entry, suggesting the likely intended one. */
function checkKeys(raw: Record<string, unknown>, kind: TransportKind, report: Report): void {
  const own = kind === 'stdio' ? STDIO_KEYS : REMOTE_KEYS;
  const other = kind === 'stdio' ? REMOTE_KEYS : STDIO_KEYS;
  const accepted = new Set([
    ...COMMON_KEYS,
    ...IGNORED_KEYS,
    ...own,
    ...(kind === 'stdio' ? STDIO_IGNORED_KEYS : []),
  ]);
  for (const key of Object.keys(raw)) {
    if (accepted.has(key)) continue;
    if (other.includes(key)) {
      report(`"${key}" applies only to ${kind === 'stdio' ? 'remote' : 'stdio'} servers`);
      continue;
    }
    const suggestion = closestKey(key, [...COMMON_KEYS, ...own]);
    report(`unknown field ${JSON.stringify(key)}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`);
  }
}

function readCommon(raw: Record<string, unknown>, report: Report): CommonFields {
  const enabled = readBoolean(raw, 'enabled', report);
  const disabled = readBoolean(raw, 'disabled', report);
  if (enabled !== undefined && disabled !== undefined && enabled === disabled) {
    report('"enabled" and "disabled" contradict each other');
  }
  const common: CommonFields = { enabled: enabled ?? (disabled === undefined ? true : !disabled) };
  const toolFilter = readToolFilter(raw, report);
  if (toolFilter !== undefined) common.toolFilter = toolFilter;
  const restart = readField(raw, 'restart', restartPolicy, `"restart" must be "on-failure" or "never" (got ${describeValue(raw['restart'])})`, report);
  if (restart !== undefined) common.restart = restart;
  const maxRestarts = readField(raw, 'maxRestarts', nonNegativeInt, '"maxRestarts" must be a non-negative integer', report);
  if (maxRestarts !== undefined) common.maxRestarts = maxRestarts;
  const pingIntervalMs = readField(raw, 'pingIntervalMs', nonNegativeInt, '"pingIntervalMs" must be a non-negative integer (milliseconds; 0 turns pings off)', report);
  if (pingIntervalMs !== undefined) common.pingIntervalMs = pingIntervalMs;
  return common;
}

function readStdio(
  raw: Record<string, unknown>,
  common: CommonFields,
  report: Report,
): StdioServerConfig | undefined {
  const command = raw['command'];
  if (!nonEmptyString.safeParse(command).success) {
    report('"command" must be a non-empty string');
  }
  const args = readField(raw, 'args', z.array(z.string()), '"args" must be an array of strings', report);
  const env = readStringRecord(raw, 'env', report);
  const cwd = readField(raw, 'cwd', nonEmptyString, '"cwd" must be a non-empty string', report);
  const isolation = readField(
    raw,
    'isolation',
    z.enum(['shared', 'per-client']),
    `"isolation" must be "shared" or "per-client" (got ${describeValue(raw['isolation'])})`,
    report,
  );
  const startup = readField(raw, 'startup', startupMode, `"startup" must be "eager" or "lazy" (got ${describeValue(raw['startup'])})`, report);
  const idleTimeoutMs = readField(raw, 'idleTimeoutMs', positiveMs, '"idleTimeoutMs" must be a positive integer (milliseconds)', report);
  if (typeof command !== 'string') return undefined;
  const config: StdioServerConfig = {
    transport: 'stdio',
    command,
    args: args ?? [],
    env: env ?? {},
    isolation: (isolation ?? 'shared') satisfies Isolation,
    ...common,
  };
  if (cwd !== undefined) config.cwd = cwd;
  if (startup !== undefined) config.startup = startup;
  if (idleTimeoutMs !== undefined) config.idleTimeoutMs = idleTimeoutMs;
  return config;
}

function readRemote(
  raw: Record<string, unknown>,
  transport: 'sse' | 'streamable-http',
  common: CommonFields,
  report: Report,
): RemoteServerConfig | undefined {
  const url = raw['url'];
  if (!httpUrl.safeParse(url).success) {
    report('"url" must be an http:// or https:// URL');
  }
  const headers = readStringRecord(raw, 'headers', report);
  if (headers !== undefined) {
    const bad = Object.keys(headers).filter((name) => !HEADER_NAME_PATTERN.test(name));
    if (bad.length > 0) report(`"headers" has invalid header names (${bad.map((n) => JSON.stringify(n)).join(', ')})`);
  }
  const msMessage = (key: string): string => `"${key}" must be a positive integer (milliseconds)`;
  const timeout = readField(raw, 'timeout', positiveMs, msMessage('timeout'), report);
  const sseReadTimeout = readField(raw, 'sseReadTimeout', positiveMs, msMessage('sseReadTimeout'), report);
  const oauth = readField(raw, 'oauth', oauthField, '"oauth" must be true, false or {"clientId"?: string, "scopes"?: [string], "clientMetadataUrl"?: https URL}', report);
  if (typeof url !== 'string') return undefined;
  const config: RemoteServerConfig = { transport, url, headers: headers ?? {}, ...common };
  if (timeout !== undefined) config.timeout = timeout;
  if (sseReadTimeout !== undefined) config.sseReadTimeout = sseReadTimeout;
  if (oauth !== undefined) config.oauth = oauth === true ? {} : oauth;
  return config;
}

/**
 * `toolFilter`, merged with `disabledTools` (Roo Code, Kiro), which names tools the user turned
 * off in another client: carrying them over as `block` keeps them off here too.
 */
function readToolFilter(raw: Record<string, unknown>, report: Report): ToolFilter | undefined {
  const filter: ToolFilter = {};
  const value = raw['toolFilter'];
  if (value !== undefined) {
    if (!isPlainObject(value)) {
      report('"toolFilter" must be an object with "allow" and/or "block"');
    } else {
      for (const key of Object.keys(value)) {
        if (key !== 'allow' && key !== 'block') {
          const suggestion = closestKey(key, ['allow', 'block']);
          report(`"toolFilter" has unknown field ${JSON.stringify(key)}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`);
        }
      }
      for (const key of ['allow', 'block'] as const) {
        const list = readField(value, key, globList, `"toolFilter.${key}" must be an array of non-empty strings`, report);
        if (list !== undefined) filter[key] = [...list];
      }
    }
  }
  const disabledTools = readField(
    raw,
    'disabledTools',
    globList,
    '"disabledTools" must be an array of non-empty strings',
    report,
  );
  if (disabledTools !== undefined && disabledTools.length > 0) {
    filter.block = [...new Set([...(filter.block ?? []), ...disabledTools])];
  }
  return filter.allow === undefined && filter.block === undefined ? undefined : filter;
}

/** Validates `raw[key]` when present: its value, or `undefined` (absent or reported). */
/** `oauth` as users write it: `true`, `false` or the settings object (`OAuthSettings`). */
const oauthSettings = z
  .object({
    clientId: z.string().min(1).optional(),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/)).optional(),
    clientMetadataUrl: z.string().url().startsWith('https://').optional(),
  })
  .strict();
const oauthField = z.union([z.boolean(), oauthSettings]);

function readField<T>(
  raw: Record<string, unknown>,
  key: string,
  schema: z.ZodType<T>,
  message: string,
  report: Report,
): T | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  const result = schema.safeParse(value);
  if (!result.success) {
    report(message);
    return undefined;
  }
  return result.data;
}

function readBoolean(raw: Record<string, unknown>, key: string, report: Report): boolean | undefined {
  return readField(raw, key, z.boolean(), `"${key}" must be true or false`, report);
}

/** `env` and `headers`: an object whose values are all strings; names the offending keys. */
function readStringRecord(
  raw: Record<string, unknown>,
  key: string,
  report: Report,
): Record<string, string> | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) {
    report(`"${key}" must be an object of strings`);
    return undefined;
  }
  const bad = Object.entries(value).filter(([, v]) => typeof v !== 'string').map(([k]) => JSON.stringify(k));
  if (bad.length > 0) {
    report(`"${key}" values must be strings (check ${bad.join(', ')})`);
    return undefined;
  }
  return Object.fromEntries(Object.entries(value)) as Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short rendering of a user's value for messages: JSON, truncated. */
function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
