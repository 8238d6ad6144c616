/**
 * Where the key of `secrets.enc` lives: in the OS keyring where one is reachable, otherwise in a
 * key file beside the store, with a warning that `serve` prints at every start.
 *
 * - Linux: libsecret's `secret-tool` (GNOME Keyring, KWallet through its Secret Service API),
 *   attributes `service=gatehouse account=secrets-key`.
 * - macOS: the login keychain through `security` (generic password, service `gatehouse`).
 * - Windows: DPAPI through PowerShell (`ProtectedData`, scope CurrentUser); the protected blob
 *   is kept in `secrets.key.dpapi`, readable only by the same Windows account.
 *
 * Every tool runs through an injected {@link CommandRunner} (no shell; the key travels on stdin,
 * never on a command line that `ps` could show), so tests use a fake one.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { SECRETS_FILE, SECRETS_KEY_BYTES } from './encrypted-file-store.js';
import { readIfExists, writePrivateFile } from './private-file.js';

/** Output of one command. */
export interface CommandResult {
  /** Exit code; `null` when killed by a signal (the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `command` with `args` (no shell), writing `input` to its stdin. Rejects when the command
 * cannot be started (an `ENOENT` error when it does not exist); resolves otherwise, whatever
 * the exit code.
 */
export type CommandRunner = (command: string, args: readonly string[], input?: string) => Promise<CommandResult>;

/** Result of looking the key up in a keyring. */
export type KeyLookup =
  | { status: 'found'; key: Buffer }
  | { status: 'missing' }
  | { status: 'unreachable'; reason: string };

/** One OS keyring. */
export interface KeyringProvider {
  /** For messages: `libsecret (secret-tool)`. */
  readonly name: string;
  load(): Promise<KeyLookup>;
  /** Stores the key; resolves to a reason when that failed. */
  save(key: Buffer): Promise<{ ok: true } | { ok: false; reason: string }>;
}

/** File names inside the data directory. */
export const KEY_FILE = 'secrets.key';
export const DPAPI_BLOB_FILE = 'secrets.key.dpapi';

const SERVICE = 'gatehouse';
const ACCOUNT = 'secrets-key';
const LABEL = 'Gatehouse secrets key';
const RUN_TIMEOUT_MS = 15_000;

/** The real runner: `child_process.spawn`, 15 s timeout, hidden window on Windows. */
export const runCommand: CommandRunner = (command, args, input) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true, timeout: RUN_TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    // A tool that exits without reading stdin makes the write fail with EPIPE: not our error.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });

/** libsecret's `secret-tool` (Linux and other freedesktop systems). */
export function libsecretProvider(run: CommandRunner): KeyringProvider {
  const tool = 'secret-tool';
  return {
    name: `libsecret (${tool})`,
    async load() {
      const result = await attempt(run, tool, ['lookup', 'service', SERVICE, 'account', ACCOUNT]);
      if ('reason' in result) return { status: 'unreachable', reason: result.reason };
      // secret-tool exits 1 silently when nothing matches; with a message when the service is unusable.
      if (result.code !== 0) return result.stderr.trim() === '' ? { status: 'missing' } : { status: 'unreachable', reason: failure(tool, result) };
      return decodeKey(result.stdout, tool);
    },
    async save(key) {
      const result = await attempt(run, tool, ['store', `--label=${LABEL}`, 'service', SERVICE, 'account', ACCOUNT], key.toString('base64'));
      if ('reason' in result) return { ok: false, reason: result.reason };
      return result.code === 0 ? { ok: true } : { ok: false, reason: failure(tool, result) };
    },
  };
}

/** The macOS keychain through `/usr/bin/security`. */
export function macosKeychainProvider(run: CommandRunner): KeyringProvider {
  const tool = 'security';
  return {
    name: 'macOS keychain (security)',
    async load() {
      const result = await attempt(run, tool, ['find-generic-password', '-s', SERVICE, '-a', ACCOUNT, '-w']);
      if ('reason' in result) return { status: 'unreachable', reason: result.reason };
      // 44 = errSecItemNotFound.
      if (result.code === 44) return { status: 'missing' };
      if (result.code !== 0) return { status: 'unreachable', reason: failure(tool, result) };
      return decodeKey(result.stdout, tool);
    },
    async save(key) {
      // `security -i` reads the command from stdin, so the key is not on a command line.
      const command = `add-generic-password -U -s ${SERVICE} -a ${ACCOUNT} -l "${LABEL}" -w ${key.toString('base64')}\n`;
      const result = await attempt(run, tool, ['-i'], command);
      if ('reason' in result) return { ok: false, reason: result.reason };
      return result.code === 0 && result.stderr.trim() === '' ? { ok: true } : { ok: false, reason: failure(tool, result) };
    },
  };
}

/** DPAPI (Windows) through PowerShell; the protected blob is kept in `blobFile`. */
export function windowsDpapiProvider(run: CommandRunner, blobFile: string): KeyringProvider {
  const tool = 'powershell.exe';
  const script = (method: 'Protect' | 'Unprotect'): string[] => [
    '-NoProfile',
    '-NonInteractive',
    '-EncodedCommand',
    // -EncodedCommand (UTF-16LE base64) sidesteps every quoting rule between Node, Windows and PowerShell.
    Buffer.from(
      "$ErrorActionPreference = 'Stop'; Add-Type -AssemblyName System.Security; " +
        '$in = [Convert]::FromBase64String([Console]::In.ReadToEnd().Trim()); ' +
        "$entropy = [Text.Encoding]::UTF8.GetBytes('gatehouse'); " +
        `$out = [Security.Cryptography.ProtectedData]::${method}($in, $entropy, [Security.Cryptography.DataProtectionScope]::CurrentUser); ` +
        '[Console]::Out.Write([Convert]::ToBase64String($out))',
      'utf16le',
    ).toString('base64'),
  ];
  return {
    name: `Windows DPAPI (${tool})`,
    async load() {
      const blob = await readIfExists(blobFile);
      if (blob === undefined) return { status: 'missing' };
      const result = await attempt(run, tool, script('Unprotect'), blob.trim());
      if ('reason' in result) return { status: 'unreachable', reason: result.reason };
      if (result.code !== 0) return { status: 'unreachable', reason: failure(tool, result) };
      return decodeKey(result.stdout, tool);
    },
    async save(key) {
      const result = await attempt(run, tool, script('Protect'), key.toString('base64'));
      if ('reason' in result) return { ok: false, reason: result.reason };
      if (result.code !== 0 || result.stdout.trim() === '') return { ok: false, reason: failure(tool, result) };
      await writePrivateFile(blobFile, result.stdout.trim() + '\n');
      return { ok: true };
    },
  };
}

/** The keyring of `platform`, or `undefined` where Gatehouse knows none. */
export function keyringProviderFor(platform: NodeJS.Platform, run: CommandRunner, dataDir: string): KeyringProvider | undefined {
  if (platform === 'darwin') return macosKeychainProvider(run);
  if (platform === 'win32') return windowsDpapiProvider(run, path.join(dataDir, DPAPI_BLOB_FILE));
  if (platform === 'linux' || platform === 'freebsd' || platform === 'openbsd') return libsecretProvider(run);
  return undefined;
}

/** The key of `secrets.enc` and where it came from. */
export interface SecretsKey {
  key: Buffer;
  source: 'keyring' | 'key-file';
  /** The keyring's name, or the key file's path. */
  location: string;
  /** Set when the key is in a plain file: print it at every start. */
  warning?: string;
}

/** Options of {@link obtainSecretsKey}. */
export interface ObtainKeyOptions {
  dataDir: string;
  /** Default `process.platform`. */
  platform?: NodeJS.Platform;
  /** Default {@link runCommand}. */
  run?: CommandRunner;
  /** `none` skips the keyring and uses the key file (containers). Default `auto`. */
  keyring?: 'auto' | 'none';
}

/** Thrown when `secrets.enc` exists but its key cannot be found. Nothing is created then. */
export class SecretsKeyUnavailableError extends Error {
  override readonly name = 'SecretsKeyUnavailableError';
}

/**
 * Finds the key of `secrets.enc`, or creates one:
 *
 * 1. A key file `secrets.key` from an earlier fallback stays authoritative (with the warning).
 * 2. Otherwise the OS keyring; a missing entry is created there (and read back to be sure).
 * 3. Where no keyring is reachable, a new key goes to `secrets.key` (0600) with the warning.
 *
 * A new key is made only when there is no `secrets.enc` yet: with an existing store, a missing
 * or unreachable key is an error, because a new key would make the store unreadable.
 *
 * @throws SecretsKeyUnavailableError as just said.
 */
export async function obtainSecretsKey(opts: Readonly<ObtainKeyOptions>): Promise<SecretsKey> {
  const platform = opts.platform ?? process.platform;
  const run = opts.run ?? runCommand;
  const keyFile = path.join(opts.dataDir, KEY_FILE);
  const provider = opts.keyring === 'none' ? undefined : keyringProviderFor(platform, run, opts.dataDir);
  const noProviderReason = opts.keyring === 'none' ? 'the keyring is turned off' : `no keyring support on ${platform}`;

  const fileWarning = (reason: string): string =>
    `${reason}; the key to ${SECRETS_FILE} is in ${keyFile} — anyone who can read that file can read your secrets`;

  const stored = await readIfExists(keyFile);
  if (stored !== undefined) {
    const key = parseKey(stored, keyFile);
    const lookup = provider ? await provider.load() : undefined;
    const reason = !provider
      ? noProviderReason
      : lookup?.status === 'unreachable'
        ? `no OS keyring reachable (${lookup.reason})`
        : `the key was created when no OS keyring was reachable, and is not in ${provider.name}`;
    return { key, source: 'key-file', location: keyFile, warning: fileWarning(reason) };
  }

  const storeExists = await exists(path.join(opts.dataDir, SECRETS_FILE));
  let reason = noProviderReason;
  if (provider) {
    const lookup = await provider.load();
    if (lookup.status === 'found') return { key: lookup.key, source: 'keyring', location: provider.name };
    if (storeExists) {
      const why = lookup.status === 'missing' ? `its key is not in ${provider.name}` : `${provider.name} is not reachable (${lookup.reason})`;
      throw new SecretsKeyUnavailableError(`${SECRETS_FILE} exists but ${why}; no new key was made, as it could not open the existing file`);
    }
    const key = randomBytes(SECRETS_KEY_BYTES);
    if (lookup.status === 'missing') {
      const saved = await provider.save(key);
      if (saved.ok) {
        const check = await provider.load();
        if (check.status === 'found' && check.key.equals(key)) return { key, source: 'keyring', location: provider.name };
        reason = `${provider.name} did not keep the key`;
      } else reason = `no OS keyring reachable (${saved.reason})`;
    } else reason = `no OS keyring reachable (${lookup.reason})`;
  } else if (storeExists) {
    throw new SecretsKeyUnavailableError(`${SECRETS_FILE} exists but there is no ${KEY_FILE} and ${noProviderReason}`);
  }

  const key = randomBytes(SECRETS_KEY_BYTES);
  await writePrivateFile(keyFile, key.toString('base64') + '\n');
  return { key, source: 'key-file', location: keyFile, warning: fileWarning(reason) };
}

type Attempt = CommandResult | { reason: string };

async function attempt(run: CommandRunner, tool: string, args: readonly string[], input?: string): Promise<Attempt> {
  try {
    return await run(tool, args, input);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { reason: code === 'ENOENT' ? `${tool} not found` : `${tool} could not run: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function failure(tool: string, result: CommandResult): string {
  const line = result.stderr.trim().split(/\r?\n/)[0] ?? '';
  const status = result.code === null ? 'timed out' : `exit ${result.code}`;
  return line ? `${tool} failed: ${line}` : `${tool} failed (${status})`;
}

function decodeKey(text: string, tool: string): KeyLookup {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== SECRETS_KEY_BYTES) return { status: 'unreachable', reason: `${tool} returned a value that is not a Gatehouse key` };
  return { status: 'found', key };
}

function parseKey(text: string, file: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== SECRETS_KEY_BYTES) throw new SecretsKeyUnavailableError(`${file} does not hold a ${SECRETS_KEY_BYTES}-byte base64 key`);
  return key;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
