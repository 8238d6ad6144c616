/**
 * `gatehouse approve <server>`: shows what a stdio server would run (resolved command line,
 * working folder, env names) and approves that launch spec. `--list` shows every stdio server
 * and whether it is approved.
 */
import type { ServerConfig } from '../../shared/server-config.js';
import { ApprovalStore, describeLaunch, type ApprovalStatus, type LaunchDescription } from '../core/security/approvals.js';
import type { CommandIo } from './secrets-command.js';
import { parseCommand } from './parse-command.js';

/** Options of {@link runApproveCommand}. */
export interface ApproveCommandOptions {
  /** PATH to look commands up on (the login-shell PATH). Default `process.env.PATH`. */
  PATH?: string;
  platform?: NodeJS.Platform;
  /** An already open store; by default `<dataDir>/approvals.json` is opened. */
  approvals?: ApprovalStore;
}

export const APPROVE_USAGE = `Usage:
  gatehouse approve SERVER   show what SERVER runs and allow it to start
  gatehouse approve --list   every stdio server and whether it is approved

A stdio server runs a program on your account. Gatehouse starts one only after it was approved
(or came from the --config file you passed to serve), and asks again when its command, args,
working folder or env change.`;

const STATUS_TEXT: Record<ApprovalStatus, string> = {
  'not-needed': 'remote, nothing to approve',
  approved: 'approved',
  pending: 'waiting for approval',
  changed: 'changed since approved, waiting for approval',
};

/** Runs `gatehouse approve ...` (`argv` is what follows `approve`); resolves to the exit code. */
export async function runApproveCommand(
  argv: readonly string[],
  io: CommandIo,
  dataDir: string,
  registry: { get(name: string): ServerConfig | undefined; list(): Array<{ name: string; config: ServerConfig }> },
  opts: Readonly<ApproveCommandOptions> = {},
): Promise<number> {
  const parsed = parseCommand('approve', APPROVE_USAGE, argv, { list: { type: 'boolean' } }, { help: io.stdout, error: io.stderr });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (values.list ? positionals.length > 0 : positionals.length !== 1) {
    io.stderr(`${APPROVE_USAGE}\n`);
    return 2;
  }
  const approvals = opts.approvals ?? (await ApprovalStore.open(dataDir));
  for (const warning of approvals.warnings) io.stderr(`gatehouse: warning: ${warning}\n`);
  const launchOpts = { PATH: opts.PATH ?? process.env.PATH ?? '', ...(opts.platform ? { platform: opts.platform } : {}) };

  if (values.list) {
    const stdio = registry.list().filter((e) => e.config.transport === 'stdio');
    if (stdio.length === 0) io.stdout('No stdio servers in the registry.\n');
    for (const { name, config } of stdio) io.stdout(`${name.padEnd(24)} ${STATUS_TEXT[approvals.status(name, config)]}\n`);
    return 0;
  }

  const server = positionals[0]!;
  const config = registry.get(server);
  if (!config) {
    io.stderr(`gatehouse approve: no server named "${server}" in the registry\n`);
    return 1;
  }
  if (config.transport !== 'stdio') {
    io.stdout(`Server "${server}" is a remote server: it runs nothing here, so it needs no approval.\n`);
    return 0;
  }
  const launch = describeLaunch(server, config, launchOpts);
  io.stdout(formatLaunch(launch));
  if (approvals.status(server, config) === 'approved') {
    io.stdout(`Already approved; nothing changed.\n`);
    return 0;
  }
  await approvals.approve(server, config, 'cli');
  io.stdout(`Approved. A running gatehouse serve starts "${server}" within a few seconds.\n`);
  return 0;
}

/** The launch description as the CLI prints it. */
export function formatLaunch(launch: LaunchDescription): string {
  const lines = [
    `Server "${launch.server}" runs:`,
    `  command line: ${launch.commandLine}`,
    ...(launch.resolvedCommand === undefined ? [`                (${JSON.stringify(launch.command)} is not on PATH now)`] : []),
    `  folder:       ${launch.cwd}${launch.cwdIsDefault ? "  (the gateway's working folder)" : ''}`,
    `  env:          ${launch.envNames.length === 0 ? '(none besides the default set)' : launch.envNames.join(', ')}`,
  ];
  if (launch.secretRefs.length > 0) lines.push(`  secrets:      ${launch.secretRefs.join(', ')}`);
  return lines.join('\n') + '\n';
}
