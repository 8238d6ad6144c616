/**
 * "Install into a client" as one step: a client token of its own (named after the client, with
 * the chosen ACL, so the audit shows which client did what), then the entry in the client's
 * config file. "Remove" takes the entry out and revokes that token. Used by `gatehouse client`
 * and, later, by the Clients screen.
 */
import { endpointUrl, generate, type ClientId, type GeneratedConfig } from '../../../shared/client-configs/index.js';
import type { TokenAcl } from '../security/acl.js';
import type { TokenStore } from '../security/token-store.js';
import { defaultEntryName, findConfigFile, type InstallEnv } from './config-location.js';
import { installEntry, readInstalledEntry, removeEntry } from './install.js';

export { defaultEntryName };

/** What to install. */
export interface ClientInstallOptions {
  client: ClientId;
  /** The gateway's base URL, e.g. `http://127.0.0.1:7420`. */
  gatewayUrl: string;
  /** One server's endpoint instead of the aggregate; the token is limited to it. */
  server?: string;
  /** The entry name; default `gatehouse`, or `gatehouse-<server>`. */
  entryName?: string;
  tokenEnvVar?: string;
  /** ACL of the new token when no `server` is given; default all servers. */
  acl?: TokenAcl;
  /** How a stdio client starts `gatehouse bridge`. */
  bridgeCommand?: { command: string; args?: readonly string[] };
  /** Replace an existing install (new token, old one revoked). */
  force?: boolean;
  /** The tools the client will see (from the running gateway), for the generator's warnings. */
  toolNames?: readonly string[];
}

/** Outcome of {@link installClient}. */
export type ClientInstallResult =
  | { status: 'already-installed'; file: string; tokenName: string }
  | {
      status: 'installed';
      file: string;
      backup?: string;
      created: boolean;
      tokenName: string;
      tokenId: string;
      /** The new token's secret: shown once. */
      secret: string;
      config: GeneratedConfig;
    };

/** The name of the token an install creates: `client:<client>[:<entry>]`. */
export function clientTokenName(client: ClientId, entryName: string): string {
  return entryName === 'gatehouse' ? `client:${client}` : `client:${client}:${entryName}`;
}

/**
 * Creates the client's token and writes its entry. An existing install (entry and token) is left
 * alone unless `force`; replacing revokes the old token. A failed write revokes the new token again.
 */
export async function installClient(opts: Readonly<ClientInstallOptions>, tokens: TokenStore, ienv: Readonly<InstallEnv>): Promise<ClientInstallResult> {
  const entryName = opts.entryName ?? defaultEntryName(opts.server);
  const base = {
    url: endpointUrl(opts.gatewayUrl, opts.server),
    serverName: entryName,
    ...(opts.tokenEnvVar ? { tokenEnvVar: opts.tokenEnvVar } : {}),
    ...(opts.bridgeCommand ? { bridgeCommand: opts.bridgeCommand } : {}),
    ...(opts.toolNames ? { toolNames: opts.toolNames } : {}),
  };
  const probe = generate(opts.client, base);
  if (!probe.entry) throw new Error(`${opts.client} cannot be installed from here: ${describeLocation(probe)}`);
  const file = await findConfigFile(opts.client, probe.entry, ienv);
  const tokenName = clientTokenName(opts.client, entryName);
  const previous = tokens.list().filter((t) => t.name === tokenName && !t.ephemeral);
  // Reading first also refuses an invalid file before a token is made.
  const installed = await readInstalledEntry(file, probe.entry);
  if (installed !== undefined && previous.length > 0 && !opts.force) return { status: 'already-installed', file, tokenName };

  const acl: TokenAcl = opts.server !== undefined ? { servers: [opts.server] } : (opts.acl ?? { servers: '*' });
  // Token names are unique: the replaced install's token goes first (the file was read and is valid).
  for (const old of previous) await tokens.revoke(old.id);
  const created = await tokens.create(tokenName, 'client', acl);
  const config = generate(opts.client, { ...base, tokenPlaceholder: created.secret });
  let written;
  try {
    written = await installEntry(file, config.entry!, ienv.now ? { now: ienv.now } : {});
  } catch (error) {
    await tokens.revoke(created.token.id);
    throw error;
  }
  return {
    status: 'installed',
    file,
    created: written.created,
    ...(written.backup ? { backup: written.backup } : {}),
    tokenName,
    tokenId: created.token.id,
    secret: created.secret,
    config,
  };
}

/** Outcome of {@link removeClient}. */
export interface ClientRemoveResult {
  file: string;
  removed: boolean;
  backup?: string;
  revokedTokens: number;
}

/** Takes the entry out of the client's file and revokes the tokens its installs created. */
export async function removeClient(
  opts: Readonly<Pick<ClientInstallOptions, 'client' | 'server' | 'entryName'>>,
  tokens: TokenStore,
  ienv: Readonly<InstallEnv>,
): Promise<ClientRemoveResult> {
  const entryName = opts.entryName ?? defaultEntryName(opts.server);
  const config = generate(opts.client, { url: endpointUrl('http://127.0.0.1:7420', opts.server), serverName: entryName });
  if (!config.entry) throw new Error(`${opts.client} is not installed by Gatehouse: ${describeLocation(config)}`);
  const file = await findConfigFile(opts.client, config.entry, ienv);
  const result = await removeEntry(file, config.entry, ienv.now ? { now: ienv.now } : {});
  const tokenName = clientTokenName(opts.client, entryName);
  let revokedTokens = 0;
  for (const token of tokens.list().filter((t) => t.name === tokenName && !t.ephemeral)) {
    if ((await tokens.revoke(token.id)) === 'revoked') revokedTokens++;
  }
  return { file, removed: result.changed, ...(result.backup ? { backup: result.backup } : {}), revokedTokens };
}

function describeLocation(config: GeneratedConfig): string {
  switch (config.location.kind) {
    case 'command':
      return 'run the command that "gatehouse client show" prints';
    case 'ui':
      return `paste the snippet into ${config.location.where}`;
    case 'unreachable':
      return config.notes[0] ?? 'it cannot reach Gatehouse';
    case 'file':
      return `its config lives in the project (${Object.values(config.location.paths)[0]?.[0] ?? ''}): copy the snippet there`;
  }
}
