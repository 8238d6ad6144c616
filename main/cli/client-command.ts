/**
 * `gatehouse client list | show CLIENT | install CLIENT | remove CLIENT`: the client-config
 * generators (shared/client-configs) and the installer (core/clients) from the command line.
 * `install` creates a client token of its own and prints its secret once, on stdout alone.
 */
import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { CLIENT_IDS, endpointToolNames, generate, isClientId, listClients, type ClientOs, type GeneratedConfig } from '../../shared/client-configs/index.js';
import { didYouMean } from '../../shared/spelling.js';
import { errorMessage } from '../core/base/logger.js';
import { defaultEntryName, findConfigFile, resolvePathTemplate, type InstallEnv } from '../core/clients/config-location.js';
import { endpointAt, locateGateway, serverAt } from './gateway-url.js';
import { parseCommand } from './parse-command.js';

export const CLIENT_USAGE = `Usage:
  gatehouse client list                       every client Gatehouse can configure
  gatehouse client show CLIENT [options]      the config snippet for CLIENT, and where it goes
  gatehouse client install CLIENT [options]   write it into CLIENT's config file for this user,
                                              with a new client token of its own (printed once)
  gatehouse client remove CLIENT [--server NAME] [--name ENTRY]
                                              take that entry out again and revoke its token
Options:
  --server NAME      one server's endpoint instead of the aggregate (the token is limited to it)
  --servers a,b      install: limit the token to these servers (default: all)
  --url URL          the gateway: its base URL or an endpoint, as serve prints them (default:
                     where the gateway on --data-dir listens, else http://127.0.0.1:7420)
  --name ENTRY       the entry name in the client's config (default gatehouse, or gatehouse-NAME)
  --token-env VAR    the environment variable the client reads the token from (default GATEHOUSE_TOKEN)
  --force            install: replace an existing install (new token; the old one is revoked)
  --data-dir DIR     the gateway's data dir (its tokens.json, and where it listens)`;

/** Where the command reads and writes. */
export interface ClientCommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** Default: the real home folder and platform. */
  home?: string;
  platform?: NodeJS.Platform;
  /** How stdio clients start the bridge; default: this Node and this CLI script. */
  bridgeCommand?: { command: string; args?: readonly string[] };
  /** Reaches the running gateway's admin API (its tool list); default: the global fetch. */
  fetch?: typeof fetch;
}

/** Runs `gatehouse client ...` (`argv` is what follows `client`); resolves to the exit code. */
export async function runClientCommand(argv: readonly string[], io: ClientCommandIo, defaultDataDir: string): Promise<number> {
  const parsed = parseCommand(
    'client',
    CLIENT_USAGE,
    argv,
    {
      server: { type: 'string' },
      servers: { type: 'string' },
      url: { type: 'string' },
      name: { type: 'string' },
      'token-env': { type: 'string' },
      force: { type: 'boolean' },
      'data-dir': { type: 'string' },
    },
    { help: io.stdout, error: io.stderr },
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [action, client, ...extra] = positionals;
  if (action === 'list' && client === undefined) {
    for (const c of listClients()) {
      const how = c.transport === 'stdio-bridge' ? 'via gatehouse bridge' : c.transport === 'unreachable' ? 'cannot reach 127.0.0.1' : 'HTTP';
      io.stdout(`${c.id.padEnd(24)} ${c.title.padEnd(32)} ${how.padEnd(24)} ${c.installable ? 'install' : ''}\n`.replace(/ +\n$/, '\n'));
    }
    return 0;
  }
  if (!action || !['show', 'install', 'remove'].includes(action) || client === undefined || extra.length > 0) {
    io.stderr(`${CLIENT_USAGE}\n`);
    return 2;
  }
  if (!isClientId(client)) {
    io.stderr(`gatehouse client: unknown client "${client}"${didYouMean(client, CLIENT_IDS)}; see gatehouse client list\n`);
    return 2;
  }
  if (values.server !== undefined && values.servers !== undefined) {
    io.stderr('gatehouse client: --server already limits the token to that server; leave out --servers\n');
    return 2;
  }
  const dataDir = values['data-dir'] ?? defaultDataDir;
  let located;
  let server: string | undefined;
  try {
    located = await locateGateway(values.url, dataDir);
    server = serverAt(located.address, values.server);
  } catch (error) {
    io.stderr(`gatehouse client: ${errorMessage(error)}\n`);
    return 2;
  }
  const servers = values.servers?.split(',').map((s) => s.trim()).filter(Boolean);
  if (action !== 'remove') {
    // A snippet or token for a misspelt server reaches nothing; `remove` may follow a server's removal.
    const named = server !== undefined ? [server] : (servers ?? []);
    // Loaded only when needed: the registry brings lowdb and zod, which `client show` alone does not need.
    const known = named.length > 0 ? await import('./known-servers.js') : undefined;
    const lines = known ? known.unknownServerLines('client', named, await known.registeredServerNames(dataDir)) : [];
    if (lines.length > 0) {
      io.stderr(`${lines.join('\n')}\n`);
      return 2;
    }
  }
  if (located.source === 'default' && action !== 'remove') {
    io.stderr(`note: no gateway is running on ${dataDir}; using ${located.address.base} (--url names another)\n`);
  }
  const gatewayUrl = located.address.base;
  const platform = io.platform ?? process.platform;
  const os: ClientOs = platform === 'darwin' || platform === 'win32' ? platform : 'linux';
  const ienv: InstallEnv = { home: io.home ?? homedir(), platform: os, env: io.env };
  const bridgeCommand = io.bridgeCommand ?? { command: process.execPath, args: [realpathSync(process.argv[1]!)] };
  const entryName = values.name ?? defaultEntryName(server);

  try {
    // The tools the client would see, for the tool-count and name-length warnings.
    let toolNames: string[] | undefined;
    const reachable = listClients().find((c) => c.id === client)?.transport !== 'unreachable';
    if (action !== 'remove' && reachable) {
      const { readLiveTools } = await import('./live-tools.js');
      const live = await readLiveTools(gatewayUrl, io.env, io.fetch);
      if (live.ok) toolNames = endpointToolNames(live.tools, server !== undefined ? { server } : servers ? { servers } : {});
      else io.stderr(`gatehouse client: tool counts and name lengths not checked: ${live.why}\n`);
    }
    if (action === 'show') {
      const config = generate(client, {
        url: endpointAt(located.address, server),
        serverName: entryName,
        bridgeCommand,
        ...(values['token-env'] ? { tokenEnvVar: values['token-env'] } : {}),
        ...(toolNames ? { toolNames } : {}),
      });
      io.stdout(await describe(config, ienv));
      return 0;
    }
    // Loaded here: `show` needs neither the token store nor the config file editors.
    const [{ installClient, removeClient }, { TokenStore }] = await Promise.all([
      import('../core/clients/client-installer.js'),
      import('../core/security/token-store.js'),
    ]);
    const tokens = await TokenStore.open(dataDir, { env: {} });
    for (const warning of tokens.warnings) io.stderr(`gatehouse: warning: ${warning}\n`);
    try {
      if (action === 'remove') {
        const result = await removeClient({ client, entryName, ...(server !== undefined ? { server } : {}) }, tokens, ienv);
        io.stdout(
          result.removed
            ? `Removed "${entryName}" from ${result.file}${result.backup ? ` (backup: ${result.backup})` : ''}.\n`
            : `"${entryName}" was not in ${result.file}; nothing changed.\n`,
        );
        if (result.revokedTokens > 0) io.stdout(`Revoked ${result.revokedTokens} token${result.revokedTokens === 1 ? '' : 's'} of this client.\n`);
        return 0;
      }
      const result = await installClient(
        {
          client,
          gatewayUrl,
          entryName,
          bridgeCommand,
          force: values.force === true,
          ...(server !== undefined ? { server } : {}),
          ...(servers !== undefined ? { acl: { servers } } : {}),
          ...(values['token-env'] ? { tokenEnvVar: values['token-env'] } : {}),
          ...(toolNames ? { toolNames } : {}),
        },
        tokens,
        ienv,
      );
      if (result.status === 'already-installed') {
        io.stderr(`"${entryName}" is already installed in ${result.file} (token "${result.tokenName}"). Use --force to replace it with a new token.\n`);
        return 0;
      }
      io.stderr(`${result.created ? 'Created' : 'Updated'} ${result.file}${result.backup ? ` (backup: ${result.backup})` : ''}.\n`);
      io.stderr(`Created client token "${result.tokenName}" (id ${result.tokenId}).\n`);
      const config = result.config;
      if (config.literalToken) {
        io.stderr('The token is written in that file (this client cannot read it from elsewhere); it is not printed.\n');
      } else {
        const how = config.client === 'vscode' ? 'paste it when VS Code asks for the Gatehouse client token' : `set ${config.tokenEnvVar} to it where ${config.client} runs`;
        io.stderr(`Its secret is shown once (${how}):\n`);
        io.stdout(`${result.secret}\n`);
      }
      for (const note of config.notes) io.stderr(`note: ${note}\n`);
      for (const warning of config.warnings) io.stderr(`warning: ${warning}\n`);
      return 0;
    } finally {
      await tokens.close();
    }
  } catch (error) {
    io.stderr(`gatehouse client: ${errorMessage(error)}\n`);
    return 1;
  }
}

async function describe(config: GeneratedConfig, ienv: InstallEnv): Promise<string> {
  const out: string[] = [];
  const loc = config.location;
  if (loc.kind === 'unreachable') return `${config.notes.join('\n')}\n`;
  if (loc.kind === 'command') out.push('Run:');
  else if (loc.kind === 'ui') out.push(`Paste into ${loc.where}:`);
  else if (loc.scope === 'project') out.push(`Put in ${(loc.paths[ienv.platform] ?? [])[0] ?? ''} in your project:`);
  else {
    const file = config.entry ? await findConfigFile(config.client, config.entry, ienv) : resolvePathTemplate((loc.paths[ienv.platform] ?? [''])[0]!, ienv);
    out.push(`Put in ${file}${config.entry ? ` (or: gatehouse client install ${config.client})` : ''}:`);
  }
  out.push('', config.snippet, '');
  for (const note of config.notes) out.push(`note: ${note}`);
  for (const warning of config.warnings) out.push(`warning: ${warning}`);
  if (config.deepLink) out.push(`install link: ${config.deepLink}`);
  return `${out.join('\n')}\n`;
}
