import type { IncomingMessage, ServerResponse } from 'node:http';
import { toMcpServersEntry } from '../../../shared/config-export.js';
import { parseServerEntry } from '../../../shared/config-schema.js';
import type { GatewayInfo, GatewaySettings, ServerView, ToolView } from '../../../shared/control-api.js';
import type { ServerConfig } from '../../../shared/server-config.js';
import { findSecretRefs } from '../security/secret-refs.js';
import { parseJsonRpcBody, readBody } from './body.js';

// The views the admin API answers with are the control API's own DTOs: one definition.
export type { ServerView, ToolView };

/** Outcome of {@link AdminControl.updateSettings}: the settings now, or one message per bad field. */
export type SettingsUpdate = { ok: true; settings: GatewaySettings } | { ok: false; errors: string[] };

/** What the admin API drives: implemented by the gateway. */
export interface AdminControl {
  listServers(): ServerView[];
  serverView(name: string): ServerView | undefined;
  serverLogs(name: string): string[] | undefined;
  serverConfig(name: string): ServerConfig | undefined;
  addServer(name: string, config: ServerConfig): Promise<ServerView>;
  updateServer(name: string, config: ServerConfig): Promise<ServerView>;
  removeServer(name: string): Promise<boolean>;
  startServer(name: string): Promise<ServerView>;
  stopServer(name: string): Promise<ServerView>;
  restartServer(name: string): Promise<ServerView>;
  listTools(): ToolView[];
  /** Version, data directory, desktop or headless, and the secret store's status. */
  info(): GatewayInfo;
  /** The limits as Settings shows them. */
  settings(): GatewaySettings;
  /** Saves the limits of a `PUT /admin/settings` body (`SettingsPatch`), or says what is wrong with it. */
  updateSettings(body: unknown): Promise<SettingsUpdate>;
}

/**
 * `/admin/*`: JSON over HTTP. Auth, Host and Origin are checked by the router before this runs.
 *
 * - `GET /admin/servers`, `GET /admin/servers/<name>` (with `config` in `mcpServers` form, the
 *   secrets its env or headers refer to, and the stderr tail), `GET /admin/servers/<name>/logs`
 * - `POST /admin/servers` `{ "name": "x", ...mcpServers entry }`, `PUT /admin/servers/<name>` entry,
 *   `DELETE /admin/servers/<name>`
 * - `POST /admin/servers/<name>/start|stop|restart`
 * - `GET /admin/tools`
 * - `GET /admin/info` ({@link GatewayInfo})
 * - `GET /admin/settings` ({@link GatewaySettings}), `PUT /admin/settings` `{ "limits": { "<key>": n | null } }`
 *   (400 `{ error, details }` naming each bad field)
 */
export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  control: AdminControl,
  maxBodyBytes: number,
): Promise<void> {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent); // ['admin', ...]
  const method = req.method ?? 'GET';
  const [, collection, name, action] = parts;

  if (collection === 'tools' && parts.length === 2 && method === 'GET') return json(res, 200, { tools: control.listTools() });
  if (collection === 'info' && parts.length === 2) {
    return method === 'GET' ? json(res, 200, control.info()) : problem(res, 405, `${method} is not allowed on /admin/info`);
  }
  if (collection === 'settings' && parts.length === 2) {
    if (method === 'GET') return json(res, 200, control.settings());
    if (method !== 'PUT') return problem(res, 405, `${method} is not allowed on /admin/settings (GET, PUT)`);
    const body = await readJson(req, res, maxBodyBytes);
    if (body === undefined) return;
    const updated = await control.updateSettings(body);
    return updated.ok ? json(res, 200, updated.settings) : problem(res, 400, 'invalid settings', updated.errors);
  }
  if (collection !== 'servers') return problem(res, 404, `no admin endpoint ${method} ${path}`);

  if (name === undefined) {
    if (method === 'GET') return json(res, 200, { servers: control.listServers() });
    if (method !== 'POST') return problem(res, 405, `${method} is not allowed on /admin/servers`);
    const body = await readJson(req, res, maxBodyBytes);
    if (body === undefined) return;
    const { name: newName, ...entry } = body as { name?: unknown };
    if (typeof newName !== 'string') return problem(res, 400, 'body needs "name" (the server name)');
    if (control.serverView(newName)) return problem(res, 409, `server "${newName}" already exists (use PUT /admin/servers/${newName})`);
    const parsed = parseServerEntry(newName, entry);
    if (!parsed.ok) return problem(res, 400, 'invalid server definition', parsed.errors);
    return json(res, 201, await control.addServer(newName, parsed.config));
  }

  if (action === undefined) {
    if (method === 'GET') {
      const view = control.serverView(name);
      const config = control.serverConfig(name);
      if (!view || !config) return problem(res, 404, `unknown server "${name}"`);
      return json(res, 200, { ...view, config: redactConfig(toMcpServersEntry(config)), secretRefs: secretRefsByKey(config), stderr: control.serverLogs(name) });
    }
    if (method === 'PUT') {
      const body = await readJson(req, res, maxBodyBytes);
      if (body === undefined) return;
      const parsed = parseServerEntry(name, keepRedactedValues(body as Record<string, unknown>, control.serverConfig(name)));
      if (!parsed.ok) return problem(res, 400, 'invalid server definition', parsed.errors);
      const existed = control.serverView(name) !== undefined;
      const view = existed ? await control.updateServer(name, parsed.config) : await control.addServer(name, parsed.config);
      return json(res, existed ? 200 : 201, view);
    }
    if (method === 'DELETE') {
      return (await control.removeServer(name)) ? json(res, 200, { removed: name }) : problem(res, 404, `unknown server "${name}"`);
    }
    return problem(res, 405, `${method} is not allowed on /admin/servers/${name}`);
  }

  if (!control.serverView(name)) return problem(res, 404, `unknown server "${name}"`);
  if (action === 'logs' && method === 'GET') return json(res, 200, { name, stderr: control.serverLogs(name) ?? [] });
  if (method !== 'POST') return problem(res, 405, `${method} is not allowed on /admin/servers/${name}/${action}`);
  if (action === 'start') return json(res, 200, await control.startServer(name));
  if (action === 'stop') return json(res, 200, await control.stopServer(name));
  if (action === 'restart') return json(res, 200, await control.restartServer(name));
  return problem(res, 404, `no admin action "${action}" (start, stop, restart, logs)`);
}

/** Env var or header name → the secrets its value refers to (the values themselves are redacted). */
function secretRefsByKey(config: ServerConfig): Record<string, string[]> {
  const byKey: Record<string, string[]> = {};
  for (const use of findSecretRefs(config)) {
    const key = use.field.slice(use.field.indexOf('.') + 1);
    (byKey[key] ??= []).push(use.name);
  }
  return byKey;
}

/** Header and env values may hold credentials: the admin API shows their names only. */
function redactConfig(entry: Record<string, unknown>): Record<string, unknown> {
  const out = { ...entry };
  for (const key of ['headers', 'env'] as const) {
    const values = out[key] as Record<string, string> | undefined;
    if (values) out[key] = Object.fromEntries(Object.keys(values).map((k) => [k, REDACTED]));
  }
  return out;
}

/**
 * GET shows header and env values as `[REDACTED]`; a PUT that sends `[REDACTED]` back for a key
 * the stored config has keeps the stored value, so an edit (a tool filter switch in the UI)
 * does not need, or lose, values it was never shown.
 */
function keepRedactedValues(body: Record<string, unknown>, stored: ServerConfig | undefined): Record<string, unknown> {
  if (!stored) return body;
  const section = stored.transport === 'stdio' ? 'env' : 'headers';
  const storedValues: Record<string, string> = stored.transport === 'stdio' ? stored.env : stored.headers;
  const values = body[section];
  if (typeof values !== 'object' || values === null || Array.isArray(values)) return body;
  const merged = Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, value === REDACTED && Object.hasOwn(storedValues, key) ? storedValues[key] : value]),
  );
  return { ...body, [section]: merged };
}

const REDACTED = '[REDACTED]';

/**
 * Reads a JSON object body, or answers 413/400 itself and resolves to `undefined` (the caller
 * then just returns).
 */
export async function readJson(req: IncomingMessage, res: ServerResponse, maxBodyBytes: number): Promise<unknown> {
  const raw = await readBody(req, maxBodyBytes);
  if (!raw.ok) return problem(res, raw.status, raw.message);
  const parsed = parseJsonRpcBody(raw.raw);
  if (!parsed.ok) return problem(res, 400, parsed.message);
  if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    return problem(res, 400, 'body must be a JSON object');
  }
  return parsed.value;
}

/** Writes a JSON body. */
export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Writes `{ error, details? }`; returns undefined so callers can `return problem(...)`. */
export function problem(res: ServerResponse, status: number, error: string, details?: string[]): undefined {
  json(res, status, { error, ...(details ? { details } : {}) });
  return undefined;
}
