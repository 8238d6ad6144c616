/**
 * `gatehouse secrets set NAME | list | delete NAME`: manages the headless secret store
 * (`secrets.enc`). Values are read from stdin, never from the command line, where every local
 * user could read them in the process list. A secret that servers use is deleted only after a
 * yes on the terminal (or with `--force`), and a value that would double a header's auth scheme
 * (`Bearer Bearer ...`) is pointed out.
 */
import { describeSecretUses, doubledScheme, joinWords, secretUses, type SecretUse } from '../../shared/credentials.js';
import type { ServerConfig } from '../../shared/server-config.js';
import { errorMessage } from '../core/base/logger.js';
import { Registry } from '../core/config/registry.js';
import { openHeadlessSecretStore } from '../core/security/headless-secrets.js';
import type { ObtainKeyOptions } from '../core/security/keyring.js';
import { checkSecretName, type SecretStore } from '../core/security/secret-store.js';
import { parseCommand } from './parse-command.js';

/** The command's view of the terminal; tests pass strings in and collect the output. */
export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** All of stdin, as text. */
  readStdin(): Promise<string>;
  /** Whether stdin is a terminal (then a hint is printed before reading). */
  stdinIsTty?: boolean;
  /**
   * Asks a yes/no question on the terminal (`Delete it? [y/N]`); absent when there is no
   * terminal to ask, and the command then does the safe thing on its own.
   */
  confirm?(question: string, defaultAnswer: boolean): Promise<boolean>;
}

/** Test seams for the keyring lookup. */
export type SecretsCommandOptions = Partial<Pick<ObtainKeyOptions, 'run' | 'platform' | 'keyring'>>;

export const SECRETS_USAGE = `Usage:
  gatehouse secrets set NAME      read the value from stdin (one trailing newline is dropped)
  gatehouse secrets list          names and when they were set (never the values)
  gatehouse secrets delete NAME [--force]
                                  a secret that servers use is deleted only after a yes on
                                  the terminal, or with --force

Refer to a secret in a server's headers or env as \${secret:NAME}, e.g.
  "headers": { "Authorization": "Bearer \${secret:github}" }

Example: printf %s "$GITHUB_TOKEN" | gatehouse secrets set github`;

/** Runs `gatehouse secrets ...` (`argv` is what follows `secrets`); resolves to the exit code. */
export async function runSecretsCommand(
  argv: readonly string[],
  io: CommandIo,
  dataDir: string,
  opts: Readonly<SecretsCommandOptions> = {},
): Promise<number> {
  const parsed = parseCommand('secrets', SECRETS_USAGE, argv, { force: { type: 'boolean' } }, { help: io.stdout, error: io.stderr });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [action, name, ...extra] = positionals;
  const needsName = action === 'set' || action === 'delete';
  if (
    !action ||
    !['set', 'list', 'delete'].includes(action) ||
    (needsName ? name === undefined || extra.length > 0 : name !== undefined) ||
    (values.force && action !== 'delete')
  ) {
    io.stderr(`${SECRETS_USAGE}\n`);
    return 2;
  }
  if (needsName) {
    const problem = checkSecretName(name!);
    if (problem !== undefined) {
      io.stderr(`gatehouse secrets: ${problem}\n`);
      return 2;
    }
  }

  let value: string | undefined;
  if (action === 'set') {
    if (io.stdinIsTty) io.stderr(`Type the value of "${name}", then Enter and Ctrl-D (it is shown as you type; prefer a pipe):\n`);
    value = stripOneNewline(await io.readStdin());
    if (value.length === 0) {
      io.stderr('gatehouse secrets: the value on stdin is empty; nothing was stored\n');
      return 1;
    }
  }

  let opened;
  try {
    opened = await openHeadlessSecretStore({ dataDir, ...opts });
  } catch (error) {
    io.stderr(`gatehouse secrets: ${errorMessage(error)}\n`);
    return 1;
  }
  if (opened.warning) io.stderr(`gatehouse: warning: ${opened.warning}\n`);
  const { store } = opened;
  try {
    if (action === 'list') {
      const secrets = store.list();
      if (secrets.length === 0) io.stdout('No secrets stored.\n');
      for (const s of secrets) io.stdout(`${s.name.padEnd(32)} set ${s.updatedAt}\n`);
      return 0;
    }
    const uses = secretUses(await registryEntries(dataDir), name!);
    if (action === 'set') return await setSecret(store, name!, value!, uses, io);
    return await deleteSecret(store, name!, uses, values.force === true, io);
  } catch (error) {
    io.stderr(`gatehouse secrets: ${errorMessage(error)}\n`);
    return 1;
  } finally {
    store.dispose();
  }
}

async function setSecret(store: SecretStore, name: string, value: string, uses: readonly SecretUse[], io: CommandIo): Promise<number> {
  const doubled = doubledScheme(name, value, uses);
  if (doubled) {
    io.stderr(`warning: ${doubled.warning}\n`);
    if (await io.confirm?.(`Store it without "${doubled.scheme} "?`, true)) value = doubled.stripped;
  }
  const existed = store.has(name);
  await store.set(name, value);
  io.stdout(`${existed ? 'Updated' : 'Stored'} secret "${name}". Refer to it as \${secret:${name}}.\n`);
  return 0;
}

async function deleteSecret(store: SecretStore, name: string, uses: readonly SecretUse[], force: boolean, io: CommandIo): Promise<number> {
  if (!store.has(name)) {
    io.stderr(`gatehouse secrets: no secret named "${name}"\n`);
    return 1;
  }
  const users = [...new Set(uses.map((use) => use.server))];
  if (users.length > 0 && !force) {
    const why = `is used by ${describeSecretUses(uses)}; ${users.length === 1 ? 'it cannot' : 'they cannot'} start without it.`;
    if (!io.confirm) {
      io.stderr(`gatehouse secrets: "${name}" ${why} Nothing was deleted; --force deletes it anyway.\n`);
      return 2;
    }
    if (!(await io.confirm(`Secret "${name}" ${why} Delete it?`, false))) {
      io.stderr('Nothing was deleted.\n');
      return 1;
    }
  }
  await store.delete(name);
  const missing = users.length > 0 ? ` ${joinWords(users)} cannot start without it until it is set again.` : '';
  io.stdout(`Deleted secret "${name}".${missing}\n`);
  return 0;
}

/** The registry's servers, to see which use a secret (only read: a valid file is not rewritten). */
async function registryEntries(dataDir: string): Promise<Array<{ name: string; config: ServerConfig }>> {
  const registry = await Registry.open(dataDir);
  try {
    return registry.list();
  } finally {
    registry.dispose();
  }
}

/** `echo value |` adds one newline; a value's own trailing spaces or newlines stay. */
function stripOneNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}
