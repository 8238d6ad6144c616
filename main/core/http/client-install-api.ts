/**
 * The Clients screen's "Install" and "Remove": `gatehouse client install|remove` over the admin
 * API, with a preview first. JSON over HTTP; the router has checked Host, Origin and the admin
 * token before this runs.
 *
 * - `GET /admin/clients/<client>/install?server=NAME` → {@link ClientInstallStatus}
 * - `POST /admin/clients/<client>/preview` `{ action, server? }` → {@link ClientChangePreview}
 * - `POST /admin/clients/<client>/install` `{ server?, force?, fingerprint? }` → {@link ClientInstallAnswer}
 * - `POST /admin/clients/<client>/remove` `{ server?, fingerprint? }` → {@link ClientRemoveAnswer}
 *
 * The files edited are those of the user the gateway runs as, on the gateway's machine: the
 * writing endpoints answer 403 unless the request comes from that machine (see {@link localRequest}).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { CLIENT_IDS, endpointUrl, generate, isClientId, listClients, type ClientId, type GeneratedConfig } from '../../../shared/client-configs/index.js';
import {
  clientInstallRequestSchema,
  clientPreviewRequestSchema,
  clientRemoveRequestSchema,
  type ClientChangePreview,
  type ClientInstallAnswer,
  type ClientInstallStatus,
} from '../../../shared/client-install.js';
import { closestKey } from '../../../shared/spelling.js';
import { errorMessage } from '../base/logger.js';
import { clientTokenName, defaultEntryName, installClient, removeClient } from '../clients/client-installer.js';
import { InvalidConfigFileError } from '../clients/config-edit.js';
import { currentFingerprint, previewEdit } from '../clients/install-preview.js';
import { findConfigFile, readInstalledEntry, type InstallEnv } from '../clients/install.js';
import type { TokenStore } from '../security/token-store.js';
import { json, problem, readJson } from './admin-api.js';

/** What the client endpoints need from the gateway. */
export interface ClientInstallDeps {
  tokens: TokenStore;
  /** The home folder, OS and environment of the user whose client files are edited. */
  installEnv: InstallEnv;
  /** How stdio-only clients start `gatehouse bridge` (an absolute program and its arguments). */
  bridgeCommand?: { command: string; args?: readonly string[] };
  /** The gateway's base URL, as clients reach it. */
  gatewayUrl(): string;
  serverNames(): string[];
  /** Exposed tool names on the aggregate (no server) or one server's endpoint, for the client's warnings. */
  toolNames(server?: string): string[];
  maxBodyBytes: number;
}

/** What stands in for the new token in a preview (the token is created by the install itself). */
const TOKEN_PLACEHOLDER = '<new client token>';
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * Whether the request comes from the gateway's own machine: a loopback peer, no proxy headers
 * (a reverse proxy on the same host would make a remote browser look local), and a loopback
 * name in Host. Otherwise, why not.
 */
export function localRequest(req: IncomingMessage): { local: true } | { local: false; reason: string } {
  const peer = req.socket.remoteAddress ?? '';
  const loopbackPeer = peer === '::1' || /^(::ffff:)?127\./.test(peer);
  const remote = `the gateway runs on another computer than this browser, so it cannot write this computer's client files; copy the snippet instead`;
  if (!loopbackPeer) return { local: false, reason: `${remote} (the request came from ${peer || 'an unknown address'})` };
  if (req.headers['forwarded'] !== undefined || req.headers['x-forwarded-for'] !== undefined || req.headers['x-real-ip'] !== undefined) {
    return { local: false, reason: `${remote} (the request came through a proxy)` };
  }
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  if (!LOOPBACK_HOSTS.has(host)) return { local: false, reason: `${remote} (the page was opened as ${host})` };
  return { local: true };
}

/** Handles `/admin/clients/...`; resolves `false` (writing nothing) for other paths. */
export async function handleClientInstallRequest(req: IncomingMessage, res: ServerResponse, url: URL, deps: Readonly<ClientInstallDeps>): Promise<boolean> {
  const parts = url.pathname.split('/').filter(Boolean);
  if (parts[0] !== 'admin' || parts[1] !== 'clients') return false;
  const method = req.method ?? 'GET';
  const [, , rawClient, action] = parts;
  const client = rawClient === undefined ? undefined : safeDecode(rawClient);
  if (client === undefined || action === undefined || parts.length !== 4) {
    problem(res, 404, `no admin endpoint ${method} ${url.pathname} (use /admin/clients/<client>/install, /preview or /remove)`);
    return true;
  }
  if (!isClientId(client)) {
    const hint = closestKey(client, CLIENT_IDS);
    problem(res, 404, `unknown client "${client}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
    return true;
  }
  try {
    if (action === 'install' && method === 'GET') return await answer(res, status(req, client, url.searchParams.get('server') ?? undefined, deps));
    if (!['install', 'preview', 'remove'].includes(action)) {
      problem(res, 404, `no client action "${action}" (install, preview, remove)`);
      return true;
    }
    if (method !== 'POST') {
      problem(res, 405, `${method} is not allowed on /admin/clients/${client}/${action}`);
      return true;
    }
    const cannot = notInstallable(client, deps);
    if (cannot !== undefined) {
      req.resume();
      problem(res, 400, cannot);
      return true;
    }
    const where = localRequest(req);
    if (!where.local) {
      req.resume();
      problem(res, 403, where.reason);
      return true;
    }
    const body = await readJson(req, res, deps.maxBodyBytes);
    if (body === undefined) return true;
    if (action === 'preview') {
      const request = parse(res, clientPreviewRequestSchema, body, deps);
      if (request) await answer(res, preview(client, request.action, request.server, deps));
      return true;
    }
    if (action === 'install') {
      const request = parse(res, clientInstallRequestSchema, body, deps);
      if (request && (await fileUnchanged(res, client, request.server, request.fingerprint, deps))) await answer(res, install(client, request, deps));
      return true;
    }
    const request = parse(res, clientRemoveRequestSchema, body, deps);
    if (request && (await fileUnchanged(res, client, request.server, request.fingerprint, deps))) {
      await answer(res, removeClient({ client, ...(request.server !== undefined ? { server: request.server } : {}) }, deps.tokens, deps.installEnv));
    }
    return true;
  } catch (error) {
    // A client file that does not parse is the user's to fix: say which and where.
    if (error instanceof InvalidConfigFileError) {
      problem(res, 409, error.message);
      return true;
    }
    throw error;
  }
}

async function answer(res: ServerResponse, value: Promise<unknown>): Promise<true> {
  json(res, 200, await value);
  return true;
}

/** The body validated by `schema`, with `server` checked against the registry; or a 400 naming the field. */
function parse<S extends z.ZodType<{ server?: string | undefined }>>(res: ServerResponse, schema: S, body: unknown, deps: Readonly<ClientInstallDeps>): z.infer<S> | undefined {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    problem(res, 400, 'invalid client request', parsed.error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)));
    return undefined;
  }
  const server = parsed.data.server;
  if (server !== undefined && !deps.serverNames().includes(server)) {
    const hint = closestKey(server, deps.serverNames());
    problem(res, 400, 'invalid client request', [`server: unknown server "${server}"${hint ? ` (did you mean "${hint}"?)` : ''}`]);
    return undefined;
  }
  return parsed.data;
}

function generated(client: ClientId, server: string | undefined, deps: Readonly<ClientInstallDeps>, token?: string): GeneratedConfig {
  return generate(client, {
    url: endpointUrl(deps.gatewayUrl(), server),
    serverName: defaultEntryName(server),
    toolNames: deps.toolNames(server),
    ...(deps.bridgeCommand ? { bridgeCommand: deps.bridgeCommand } : {}),
    ...(token !== undefined ? { tokenPlaceholder: token } : {}),
  });
}

/** Why `client` cannot be installed from here, or `undefined` when it can. */
function notInstallable(client: ClientId, deps: Readonly<ClientInstallDeps>): string | undefined {
  if (!generated(client, undefined, deps).entry) return `${client} has no config file Gatehouse can edit: use the snippet`;
  const viaBridge = listClients().find((c) => c.id === client)?.transport === 'stdio-bridge';
  if (viaBridge && !deps.bridgeCommand) return `${client} starts "gatehouse bridge", whose path this gateway does not know: use the snippet and fill in the path`;
  return undefined;
}

async function status(req: IncomingMessage, client: ClientId, server: string | undefined, deps: Readonly<ClientInstallDeps>): Promise<ClientInstallStatus> {
  const entryName = defaultEntryName(server);
  const tokenName = clientTokenName(client, entryName);
  const where = localRequest(req);
  const config = generated(client, server, deps);
  const base = {
    client,
    local: where.local,
    entryName,
    tokenName,
    hasToken: deps.tokens.list().some((t) => t.name === tokenName && !t.ephemeral),
    ...(where.local ? {} : { reason: where.reason }),
  };
  const cannot = notInstallable(client, deps);
  if (!config.entry || cannot !== undefined) return { ...base, installable: false, installed: false, reason: cannot ?? '' };
  const file = await findConfigFile(client, config.entry, deps.installEnv);
  try {
    const installed = (await readInstalledEntry(file, config.entry)) !== undefined;
    return { ...base, installable: true, file, installed };
  } catch (error) {
    return { ...base, installable: true, file, installed: false, reason: errorMessage(error) };
  }
}

async function preview(client: ClientId, action: 'install' | 'remove', server: string | undefined, deps: Readonly<ClientInstallDeps>): Promise<ClientChangePreview> {
  const config = generated(client, server, deps, TOKEN_PLACEHOLDER);
  if (!config.entry) throw new Error(`${client} has no config file Gatehouse can edit`);
  const file = await findConfigFile(client, config.entry, deps.installEnv);
  const edit = await previewEdit(file, config.entry, action);
  const replaces = action === 'install' && (await readInstalledEntry(file, config.entry)) !== undefined;
  const tokenNote = action !== 'install'
    ? undefined
    : config.literalToken
      ? `A new client token "${clientTokenName(client, defaultEntryName(server))}" is written where the diff shows ${TOKEN_PLACEHOLDER}.`
      : `A new client token "${clientTokenName(client, defaultEntryName(server))}" is created and shown once; ${config.client} reads it from ${config.tokenEnvVar ?? 'its token prompt'}.`;
  return { ...edit, replaces, ...(tokenNote ? { tokenNote } : {}) };
}

async function install(client: ClientId, request: { server?: string | undefined; force?: boolean | undefined }, deps: Readonly<ClientInstallDeps>): Promise<ClientInstallAnswer> {
  const server = request.server;
  const result = await installClient(
    {
      client,
      gatewayUrl: deps.gatewayUrl(),
      force: request.force === true,
      ...(server !== undefined ? { server } : {}),
      ...(deps.bridgeCommand ? { bridgeCommand: deps.bridgeCommand } : {}),
    },
    deps.tokens,
    deps.installEnv,
  );
  if (result.status === 'already-installed') return result;
  // The generated config of the install names the tool counts against this gateway's tools.
  const warnings = generated(client, server, deps).warnings;
  const { config } = result;
  return {
    status: 'installed',
    file: result.file,
    created: result.created,
    ...(result.backup ? { backup: result.backup } : {}),
    tokenName: result.tokenName,
    // A token the file holds is not handed to the browser: the file is where it lives.
    ...(config.literalToken ? {} : { secret: result.secret, ...(config.tokenEnvVar ? { tokenEnvVar: config.tokenEnvVar } : {}) }),
    notes: config.notes,
    warnings,
  };
}

/** 409 when the file changed since the preview the user saw (its fingerprint). */
async function fileUnchanged(res: ServerResponse, client: ClientId, server: string | undefined, fingerprint: string | undefined, deps: Readonly<ClientInstallDeps>): Promise<boolean> {
  if (fingerprint === undefined) return true;
  const config = generated(client, server, deps);
  if (!config.entry) return true;
  const file = await findConfigFile(client, config.entry, deps.installEnv);
  if ((await currentFingerprint(file)) === fingerprint) return true;
  problem(res, 409, `${file} changed since the preview; look at the new diff before going on`);
  return false;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
