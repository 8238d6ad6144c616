/**
 * Launching a stdio server runs a program: code execution on the user's account. A stdio
 * server starts only once its launch spec (command, args, working folder, env) has been
 * approved; the approval is a SHA-256 fingerprint of that spec in `<dataDir>/approvals.json`, so
 * any change to the spec makes it stale and asks again.
 *
 * Env values that are secret references stay references in the fingerprint: rotating a secret
 * needs no new approval, changing which secret (or a literal value) does.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { z } from 'zod';
import type { LaunchDescription } from '../../../shared/control-api.js';
import type { ServerConfig, StdioServerConfig } from '../../../shared/server-config.js';
import { resolveCommand } from '../backends/command-resolver.js';
import { Emitter, type Event } from '../base/emitter.js';
import { backUpFile, PRIVATE_DIR_MODE, PrivateJsonFile } from './private-file.js';
import { secretNamesIn } from './secret-refs.js';

/** The file name inside the data directory. */
export const APPROVALS_FILE = 'approvals.json';

/** Who approved: the `--config` file the user passed, `gatehouse approve`, the admin API, the UI. */
export type ApprovalSource = 'config-file' | 'cli' | 'admin-api' | 'ui';

/** One approval as stored. */
export interface ApprovalRecord {
  /** Hex SHA-256 of the launch spec ({@link launchFingerprint}). */
  fingerprint: string;
  /** ISO 8601. */
  approvedAt: string;
  source: ApprovalSource;
}

/**
 * - `not-needed`: a remote server (nothing runs locally);
 * - `approved`: the stored fingerprint matches the current spec;
 * - `pending`: never approved;
 * - `changed`: approved once, but the command, args, cwd or env changed since.
 */
export type ApprovalStatus = 'not-needed' | 'approved' | 'pending' | 'changed';

/** Fired after an approval was written or dropped. */
export interface ApprovalChangeEvent {
  server: string;
  type: 'approved' | 'forgotten';
}

interface ApprovalsFile {
  version: 1;
  approvals: Record<string, ApprovalRecord>;
}

const recordSchema = z.object({
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  approvedAt: z.string(),
  source: z.enum(['config-file', 'cli', 'admin-api', 'ui']),
});
const fileSchema = z.object({ version: z.literal(1), approvals: z.record(z.string(), z.unknown()) });

/** SHA-256 over the launch spec: command, args, cwd, env names and values (references as written). */
export function launchFingerprint(config: Pick<StdioServerConfig, 'command' | 'args' | 'cwd' | 'env'>): string {
  const env = Object.entries(config.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const spec = JSON.stringify(['gatehouse-launch-v1', config.command, config.args, config.cwd ?? null, env]);
  return createHash('sha256').update(spec, 'utf8').digest('hex');
}

/** What a person is asked to approve: one definition, the admin API's. */
export type { LaunchDescription };

/** Where {@link describeLaunch} looks the command up. */
export interface DescribeLaunchOptions {
  /** The PATH the gateway gives its children (the login-shell PATH). */
  PATH: string;
  platform?: NodeJS.Platform;
  /** The gateway's working folder. Default `process.cwd()`. */
  cwd?: string;
  isExecutable?: (file: string) => boolean;
}

/** The fully resolved launch of a stdio server, for the approval prompt in the UI and the CLI. */
export function describeLaunch(server: string, config: StdioServerConfig, opts: Readonly<DescribeLaunchOptions>): LaunchDescription {
  const platform = opts.platform ?? process.platform;
  const cwd = config.cwd ?? opts.cwd ?? process.cwd();
  // The server's own env PATH wins, as in spawnStdio().
  const resolved = resolveCommand(config.command, {
    PATH: config.env['PATH'] ?? opts.PATH,
    platform,
    cwd,
    ...(config.env['PATHEXT'] !== undefined ? { PATHEXT: config.env['PATHEXT'] } : {}),
    ...(opts.isExecutable ? { isExecutable: opts.isExecutable } : {}),
  });
  const quote = platform === 'win32' ? quoteWindows : quotePosix;
  return {
    server,
    command: config.command,
    ...(resolved !== undefined ? { resolvedCommand: resolved } : {}),
    args: [...config.args],
    commandLine: [resolved ?? config.command, ...config.args].map(quote).join(' '),
    cwd,
    cwdIsDefault: config.cwd === undefined,
    envNames: Object.keys(config.env).sort(),
    secretRefs: secretNamesIn(config),
    fingerprint: launchFingerprint(config),
  };
}

/**
 * The approval store. {@link status} is synchronous (from memory); mutations resolve once the
 * file is written.
 */
export class ApprovalStore {
  readonly #db: Low<ApprovalsFile>;
  readonly #now: () => Date;
  readonly #onDidChange = new Emitter<ApprovalChangeEvent>();

  readonly file: string;
  readonly warnings: readonly string[];
  /** Fired after each write. The gateway starts a newly approved server on `approved`. */
  readonly onDidChange: Event<ApprovalChangeEvent> = this.#onDidChange.event;

  private constructor(db: Low<ApprovalsFile>, file: string, warnings: string[], now: () => Date) {
    this.#db = db;
    this.file = file;
    this.warnings = Object.freeze(warnings);
    this.#now = now;
  }

  /**
   * Opens (or creates) `approvals.json`. A damaged file is copied aside and replaced by an empty
   * one: every stdio server then waits for approval again, which fails safe.
   */
  static async open(dataDir: string, opts: { now?: () => Date } = {}): Promise<ApprovalStore> {
    const now = opts.now ?? (() => new Date());
    await mkdir(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const file = path.join(dataDir, APPROVALS_FILE);
    const adapter = new PrivateJsonFile<ApprovalsFile>(file);
    const warnings: string[] = [];
    const approvals: Record<string, ApprovalRecord> = {};
    let raw: unknown = null;
    let bad = false;
    try {
      raw = await adapter.read();
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      bad = true;
    }
    if (raw !== null) {
      const parsed = fileSchema.safeParse(raw);
      if (!parsed.success) bad = true;
      else {
        for (const [server, record] of Object.entries(parsed.data.approvals)) {
          const valid = recordSchema.safeParse(record);
          if (valid.success) approvals[server] = valid.data;
          else warnings.push(`${APPROVALS_FILE}: dropped the approval of "${server}" (malformed); it needs approval again`);
        }
      }
    }
    if (bad) {
      warnings.push(`${APPROVALS_FILE} is damaged; copied it to ${path.basename(await backUpFile(file, now()))}, every stdio server needs approval again`);
    }
    const db = new Low<ApprovalsFile>(adapter, { version: 1, approvals });
    if (warnings.length > 0) await db.write();
    return new ApprovalStore(db, file, warnings, now);
  }

  /** See {@link ApprovalStatus}. */
  status(server: string, config: ServerConfig): ApprovalStatus {
    if (config.transport !== 'stdio') return 'not-needed';
    const record = this.get(server);
    if (!record) return 'pending';
    return record.fingerprint === launchFingerprint(config) ? 'approved' : 'changed';
  }

  /** Whether `server` must not start until approved (stdio, and pending or changed). */
  needsApproval(server: string, config: ServerConfig): boolean {
    const status = this.status(server, config);
    return status === 'pending' || status === 'changed';
  }

  /** The stored approval of `server`, current or stale. */
  get(server: string): ApprovalRecord | undefined {
    const approvals = this.#db.data.approvals;
    return Object.hasOwn(approvals, server) ? { ...approvals[server]! } : undefined;
  }

  /**
   * Approves `config` as `server`'s launch spec. Remote servers need nothing and are ignored.
   * Call it for every server of a `--config` file at import (source `config-file`).
   */
  async approve(server: string, config: ServerConfig, source: ApprovalSource): Promise<ApprovalRecord | undefined> {
    if (config.transport !== 'stdio') return undefined;
    const record: ApprovalRecord = { fingerprint: launchFingerprint(config), approvedAt: this.#now().toISOString(), source };
    this.#db.data.approvals[server] = record;
    await this.#db.write();
    this.#onDidChange.fire({ server, type: 'approved' });
    return { ...record };
  }

  /** Drops `server`'s approval (it was removed from the registry); `false` when it had none. */
  async forget(server: string): Promise<boolean> {
    if (!Object.hasOwn(this.#db.data.approvals, server)) return false;
    delete this.#db.data.approvals[server];
    await this.#db.write();
    this.#onDidChange.fire({ server, type: 'forgotten' });
    return true;
  }

  /**
   * Re-reads the file (another process, `gatehouse approve`, may have written it). Call it
   * before deciding that a server stays waiting; a damaged file keeps the approvals in memory.
   */
  async refresh(): Promise<void> {
    let raw: unknown;
    try {
      raw = await this.#db.adapter.read();
    } catch {
      return;
    }
    const parsed = fileSchema.safeParse(raw);
    if (!parsed.success) return;
    const approvals: Record<string, ApprovalRecord> = {};
    for (const [server, record] of Object.entries(parsed.data.approvals)) {
      const valid = recordSchema.safeParse(record);
      if (valid.success) approvals[server] = valid.data;
    }
    this.#db.data.approvals = approvals;
  }

  /** Drops the listeners. */
  dispose(): void {
    this.#onDidChange.dispose();
  }
}

/** `arg` as a POSIX shell would need it written (single quotes when it holds anything special). */
export function quotePosix(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

function quoteWindows(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  return `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
}
