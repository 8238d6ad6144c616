/**
 * `gatehouse secrets set NAME | list | delete NAME`: manages the headless secret store
 * (`secrets.enc`). Values are read from stdin, never from the command line, where every local
 * user could read them in the process list.
 */
import { parseArgs } from 'node:util';
import { errorMessage } from '../core/base/logger.js';
import { openHeadlessSecretStore } from '../core/security/headless-secrets.js';
import type { ObtainKeyOptions } from '../core/security/keyring.js';
import { checkSecretName } from '../core/security/secret-store.js';

/** The command's view of the terminal; tests pass strings in and collect the output. */
export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** All of stdin, as text. */
  readStdin(): Promise<string>;
  /** Whether stdin is a terminal (then a hint is printed before reading). */
  stdinIsTty?: boolean;
}

/** Test seams for the keyring lookup. */
export type SecretsCommandOptions = Partial<Pick<ObtainKeyOptions, 'run' | 'platform' | 'keyring'>>;

export const SECRETS_USAGE = `Usage:
  gatehouse secrets set NAME      read the value from stdin (one trailing newline is dropped)
  gatehouse secrets list          names and when they were set (never the values)
  gatehouse secrets delete NAME

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
  let positionals: string[];
  try {
    const parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
    if (parsed.values.help) {
      io.stdout(`${SECRETS_USAGE}\n`);
      return 0;
    }
    positionals = parsed.positionals;
  } catch (error) {
    io.stderr(`gatehouse secrets: ${errorMessage(error)}\n\n${SECRETS_USAGE}\n`);
    return 2;
  }
  const [action, name, ...extra] = positionals;
  const needsName = action === 'set' || action === 'delete';
  if (!action || !['set', 'list', 'delete'].includes(action) || (needsName ? name === undefined || extra.length > 0 : name !== undefined)) {
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
    if (action === 'set') {
      const existed = store.has(name!);
      await store.set(name!, value!);
      io.stdout(`${existed ? 'Updated' : 'Stored'} secret "${name}". Refer to it as \${secret:${name}}.\n`);
      return 0;
    }
    if (!(await store.delete(name!))) {
      io.stderr(`gatehouse secrets: no secret named "${name}"\n`);
      return 1;
    }
    io.stdout(`Deleted secret "${name}".\n`);
    return 0;
  } catch (error) {
    io.stderr(`gatehouse secrets: ${errorMessage(error)}\n`);
    return 1;
  } finally {
    store.dispose();
  }
}

/** `echo value |` adds one newline; a value's own trailing spaces or newlines stay. */
function stripOneNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}
