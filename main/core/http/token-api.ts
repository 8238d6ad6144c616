/**
 * The security part of the admin API: tokens, secrets and launch approvals. JSON over HTTP;
 * the router has checked Host, Origin and the admin token before this runs. Secret values and
 * token secrets are never returned, except a new token's secret in the answer that creates it.
 *
 * - `GET /admin/tokens`, `POST /admin/tokens` `{ name, kind?, acl? }` (201, the secret once),
 *   `DELETE /admin/tokens/<id>`
 * - `GET /admin/secrets` (names, times, which servers use them, references to unset secrets),
 *   `PUT /admin/secrets/<name>` `{ value }`, `DELETE /admin/secrets/<name>` (503 with the reason
 *   when the store cannot hold secrets)
 * - `GET /admin/approvals` (every stdio server: status and launch description),
 *   `POST /admin/servers/<name>/approve` `{ fingerprint? }`
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { SecretUse } from '../../../shared/control-api.js';
import type { ServerConfig } from '../../../shared/server-config.js';
import { errorMessage } from '../base/logger.js';
import { tokenAclSchema } from '../security/acl.js';
import { describeLaunch, type ApprovalStore, type DescribeLaunchOptions } from '../security/approvals.js';
import { findSecretRefs } from '../security/secret-refs.js';
import { checkSecretName, type SecretStore } from '../security/secret-store.js';
import type { TokenStore } from '../security/token-store.js';
import { SecretStoreUnavailableError } from '../security/unavailable-secret-store.js';
import { json, problem, readJson } from './admin-api.js';

/** What {@link handleSecurityAdminRequest} works on. */
export interface SecurityAdminDeps {
  tokens: Pick<TokenStore, 'list' | 'create' | 'revoke'>;
  /** Absent when no secret store could be opened: the secret endpoints answer 503. */
  secrets?: SecretStore;
  approvals: Pick<ApprovalStore, 'status' | 'get' | 'approve'>;
  /** The registry (read only). */
  servers: { get(name: string): ServerConfig | undefined; list(): Array<{ name: string; config: ServerConfig }> };
  /** How commands are looked up for the launch descriptions (the login-shell PATH). */
  launch: Readonly<DescribeLaunchOptions>;
  maxBodyBytes: number;
  /** Called after an approval is written, so the gateway can start the server. */
  onApproved?: (server: string) => Promise<void> | void;
}

const createTokenBody = z.strictObject({
  name: z.string(),
  kind: z.enum(['client', 'admin']).optional(),
  acl: tokenAclSchema.optional(),
});
const putSecretBody = z.strictObject({ value: z.string().min(1, 'value is empty') });
const approveBody = z.strictObject({ fingerprint: z.string().optional() });

/**
 * Handles the request when its path is one of the endpoints above, and resolves to `true`;
 * resolves to `false` without touching `res` otherwise. Call it before `handleAdmin`, which
 * answers 404 for paths it does not know (and `POST /admin/servers/<name>/approve` is here).
 */
export async function handleSecurityAdminRequest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  deps: Readonly<SecurityAdminDeps>,
): Promise<boolean> {
  let parts: string[];
  try {
    parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return false;
  }
  if (parts[0] !== 'admin') return false;
  const method = req.method ?? 'GET';
  const [, collection, name, action] = parts;

  if (collection === 'tokens' && parts.length <= 3) {
    await tokens(req, res, method, name, deps);
    return true;
  }
  if (collection === 'secrets' && parts.length <= 3) {
    await secrets(req, res, method, name, deps);
    return true;
  }
  if (collection === 'approvals' && parts.length === 2) {
    if (method !== 'GET') problem(res, 405, `${method} is not allowed on /admin/approvals`);
    else json(res, 200, { servers: approvalViews(deps) });
    return true;
  }
  if (collection === 'servers' && name !== undefined && action === 'approve' && parts.length === 4) {
    await approve(req, res, method, name, deps);
    return true;
  }
  return false;
}

async function tokens(req: IncomingMessage, res: ServerResponse, method: string, id: string | undefined, deps: Readonly<SecurityAdminDeps>): Promise<void> {
  if (id === undefined) {
    if (method === 'GET') return json(res, 200, { tokens: deps.tokens.list() });
    if (method !== 'POST') return problem(res, 405, `${method} is not allowed on /admin/tokens`);
    const body = await readJson(req, res, deps.maxBodyBytes);
    if (body === undefined) return;
    const parsed = createTokenBody.safeParse(body);
    if (!parsed.success) return problem(res, 400, 'invalid token request', issues(parsed.error));
    const { name, kind = 'client', acl } = parsed.data;
    if (deps.tokens.list().some((t) => t.name === name)) return problem(res, 409, `a token named ${JSON.stringify(name)} already exists`);
    try {
      const created = await deps.tokens.create(name, kind, acl ?? { servers: '*' });
      // The only answer that ever carries a token's secret.
      return json(res, 201, created);
    } catch (error) {
      return problem(res, 400, errorMessage(error));
    }
  }
  if (method !== 'DELETE') return problem(res, 405, `${method} is not allowed on /admin/tokens/${id}`);
  const result = await deps.tokens.revoke(id);
  if (result === 'unknown') return problem(res, 404, `unknown token "${id}"`);
  if (result === 'ephemeral') return problem(res, 409, `token "${id}" comes from the environment; unset the variable and restart to revoke it`);
  return json(res, 200, { revoked: id });
}

async function secrets(req: IncomingMessage, res: ServerResponse, method: string, name: string | undefined, deps: Readonly<SecurityAdminDeps>): Promise<void> {
  const store = deps.secrets;
  if (!store) return problem(res, 503, 'no secret store is available (see the gateway log)');
  const usage = secretUsage(deps);
  const used = (secret: string): { usedBy: string[]; uses: SecretUse[] } => {
    const uses = usage.get(secret) ?? [];
    return { usedBy: [...new Set(uses.map((u) => u.server))], uses };
  };
  await store.refresh();
  if (name === undefined) {
    if (method !== 'GET') return problem(res, 405, `${method} is not allowed on /admin/secrets`);
    const list = store.list().map((s) => ({ ...s, ...used(s.name) }));
    const missing = [...usage.keys()].filter((secret) => !store.has(secret)).map((secret) => ({ name: secret, ...used(secret) }));
    return json(res, 200, { secrets: list, missing });
  }
  const nameProblem = checkSecretName(name);
  if (nameProblem !== undefined) return problem(res, 400, nameProblem);
  if (method === 'PUT') {
    const body = await readJson(req, res, deps.maxBodyBytes);
    if (body === undefined) return;
    const parsed = putSecretBody.safeParse(body);
    if (!parsed.success) return problem(res, 400, 'invalid secret', issues(parsed.error));
    const existed = store.has(name);
    if (!(await unlessUnavailable(res, () => store.set(name, parsed.data.value)))) return;
    const info = store.list().find((s) => s.name === name);
    return json(res, existed ? 200 : 201, { ...info, ...used(name) });
  }
  if (method === 'DELETE') {
    const deleted = await unlessUnavailable(res, () => store.delete(name));
    if (!deleted) return;
    if (!deleted.value) return problem(res, 404, `unknown secret "${name}"`);
    // Deleting a secret in use is allowed (rotation by delete + set); say who will miss it.
    return json(res, 200, { deleted: name, usedBy: used(name).usedBy });
  }
  return problem(res, 405, `${method} is not allowed on /admin/secrets/${name} (PUT, DELETE)`);
}

async function approve(req: IncomingMessage, res: ServerResponse, method: string, server: string, deps: Readonly<SecurityAdminDeps>): Promise<void> {
  if (method !== 'POST') return problem(res, 405, `${method} is not allowed on /admin/servers/${server}/approve`);
  let fingerprint: string | undefined;
  if (hasBody(req)) {
    const body = await readJson(req, res, deps.maxBodyBytes);
    if (body === undefined) return;
    const parsed = approveBody.safeParse(body);
    if (!parsed.success) return problem(res, 400, 'invalid approval', issues(parsed.error));
    fingerprint = parsed.data.fingerprint;
  }
  const config = deps.servers.get(server);
  if (!config) return problem(res, 404, `unknown server "${server}"`);
  if (config.transport !== 'stdio') return problem(res, 400, `server "${server}" is a remote server; only stdio servers need approval`);
  const launch = describeLaunch(server, config, deps.launch);
  // The UI sends the fingerprint it showed, so a change made in between is not approved unseen.
  if (fingerprint !== undefined && fingerprint !== launch.fingerprint) {
    return problem(res, 409, `the launch of "${server}" changed since it was shown; review it again`);
  }
  const approval = await deps.approvals.approve(server, config, 'admin-api');
  await deps.onApproved?.(server);
  return json(res, 200, { server, status: 'approved', approval, launch });
}

function approvalViews(deps: Readonly<SecurityAdminDeps>): unknown[] {
  return deps.servers
    .list()
    .filter(({ config }) => config.transport === 'stdio')
    .map(({ name, config }) => {
      const approval = deps.approvals.get(name);
      return {
        server: name,
        status: deps.approvals.status(name, config),
        ...(approval ? { approval } : {}),
        launch: describeLaunch(name, config as Extract<ServerConfig, { transport: 'stdio' }>, deps.launch),
      };
    });
}

/** Secret name → where servers' configs refer to it (with the auth scheme written before it, if any). */
function secretUsage(deps: Readonly<SecurityAdminDeps>): Map<string, SecretUse[]> {
  const usage = new Map<string, SecretUse[]>();
  for (const { name, config } of deps.servers.list()) {
    const values: Record<string, string> = config.transport === 'stdio' ? config.env : config.headers;
    for (const ref of findSecretRefs(config)) {
      const value = values[ref.field.slice(ref.field.indexOf('.') + 1)] ?? '';
      const scheme = new RegExp(`^([A-Za-z][A-Za-z0-9_-]*)\\s+\\$\\{secret:${escapeRegExp(ref.name)}\\}$`).exec(value)?.[1];
      usage.set(ref.name, [...(usage.get(ref.name) ?? []), { server: name, field: ref.field, ...(scheme ? { scheme } : {}) }]);
    }
  }
  return usage;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Runs a write of the secret store; when the store cannot hold secrets, answers 503 with its
 * reason and resolves to `undefined` (other failures propagate: they are the gateway's own 500).
 */
async function unlessUnavailable<T>(res: ServerResponse, write: () => Promise<T>): Promise<{ value: T } | undefined> {
  try {
    return { value: await write() };
  } catch (error) {
    if (!(error instanceof SecretStoreUnavailableError)) throw error;
    return problem(res, 503, error.message);
  }
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

function issues(error: z.ZodError): string[] {
  return error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
}
