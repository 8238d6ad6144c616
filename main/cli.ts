#!/usr/bin/env node
/**
 * The `gatehouse` command. This file only picks the command: each one's module is imported when
 * it is asked for, so `gatehouse --help` or `gatehouse tokens list` does not load the gateway,
 * the MCP SDK and undici first (that took most of a second before anything was printed).
 */
import { defaultDataDir } from './core/config/data-dir.js';

const USAGE = `Usage: gatehouse serve [options]          the gateway (gatehouse serve --help: every option and limit)
       gatehouse tokens list | create NAME [--servers a,b] [--admin] | revoke ID
       gatehouse secrets set NAME | list | delete NAME     (set reads the value from stdin)
       gatehouse approve SERVER | --list
       gatehouse auth login SERVER | status | logout SERVER   (OAuth sign-in; gatehouse auth --help)
       gatehouse audit export [filters] [--format jsonl|csv] | tail | verify   (gatehouse audit --help)
       gatehouse bridge [--server NAME] [--url URL] [--token-env VAR]   (stdio bridge for stdio-only clients)
       gatehouse client list | show CLIENT | install CLIENT | remove CLIENT   (gatehouse client --help)
       (each command also takes --data-dir DIR and --help)

Runs the Gatehouse MCP gateway without the desktop app.

Options of serve (more with gatehouse serve --help):
  --config FILE     import the mcpServers JSON in FILE into the registry, then serve
  --host ADDRESS    address to listen on (default 127.0.0.1)
  --port PORT       port to listen on (default 7420; 0 picks a free one)
  --data-dir DIR    where the registry lives (default: ${defaultDataDir()})
  -h, --help        show this help
  -v, --version     print the version

The first serve creates an admin token and prints it once (lost it? gatehouse tokens create
NAME --admin). Client tokens come from "gatehouse tokens create"; without any, the MCP
endpoints are open to local processes.`;

const write =
  (stream: NodeJS.WriteStream) =>
  (text: string): void =>
    void stream.write(text);
const stdout = write(process.stdout);
const stderr = write(process.stderr);

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

/** Entry point of the `gatehouse` command; returns the process exit code. */
async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  const dataDir = defaultDataDir(process.platform, env);
  switch (command) {
    case undefined:
      stdout(`${USAGE}\n`);
      return 2;
    case '-h':
    case '--help':
      stdout(`${USAGE}\n`);
      return 0;
    case '-v':
    case '--version': {
      const { packageVersion } = await import('./core/version.js');
      stdout(`${await packageVersion()}\n`);
      return 0;
    }
    case 'tokens':
    case 'secrets':
    case 'approve':
      return runSecurityCommand(command, rest, env);
    case 'bridge': {
      const { runBridgeCommand } = await import('./cli/bridge-command.js');
      return runBridgeCommand(rest, { stderr, env, defaultDataDir: dataDir });
    }
    case 'client': {
      const { runClientCommand } = await import('./cli/client-command.js');
      return runClientCommand(rest, { stdout, stderr, env }, dataDir);
    }
    case 'auth': {
      const { runAuthCommand } = await import('./cli/auth-command.js');
      return runAuthCommand(rest, { stdout, stderr, readStdin, stdinIsTty: process.stdin.isTTY === true, env, defaultDataDir: dataDir });
    }
    case 'audit': {
      const { runAuditCommand } = await import('./cli/audit-command.js');
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      return runAuditCommand(rest, { stdout: process.stdout, stderr: process.stderr, env, signal: controller.signal }, dataDir);
    }
    default: {
      // `serve`, and options before the word serve (`gatehouse --port 0 serve`), as ever.
      if (command !== 'serve' && !command.startsWith('-')) {
        const { unknownCommandMessage } = await import('./cli/parse-command.js');
        stderr(`gatehouse: ${unknownCommandMessage(command)}\n\n${USAGE}\n`);
        return 2;
      }
      const { runServeCommand } = await import('./cli/serve-command.js');
      return runServeCommand(argv, { stdout, stderr, env, defaultDataDir: dataDir });
    }
  }
}

/** `gatehouse tokens|secrets|approve ...`: each takes `--data-dir DIR` besides its own options. */
async function runSecurityCommand(command: 'tokens' | 'secrets' | 'approve', argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let dataDir = defaultDataDir(process.platform, env);
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--data-dir' && i + 1 < argv.length) dataDir = argv[++i]!;
    else if (arg.startsWith('--data-dir=')) dataDir = arg.slice('--data-dir='.length);
    else rest.push(arg);
  }
  const io = { stdout, stderr, readStdin, stdinIsTty: process.stdin.isTTY === true };
  if (command === 'tokens') {
    const { runTokensCommand } = await import('./cli/tokens-command.js');
    return runTokensCommand(rest, io, dataDir);
  }
  if (command === 'secrets') {
    const [{ runSecretsCommand }, { terminalConfirm }] = await Promise.all([import('./cli/secrets-command.js'), import('./cli/terminal.js')]);
    // A secret in use is deleted only after a yes on the terminal (when there is one).
    return runSecretsCommand(rest, { ...io, confirm: terminalConfirm() }, dataDir, env.GATEHOUSE_KEYRING === 'none' ? { keyring: 'none' } : {});
  }
  const [{ Registry }, { resolveLoginShellPath }, { runApproveCommand }] = await Promise.all([
    import('./core/config/registry.js'),
    import('./core/backends/shell-path.js'),
    import('./cli/approve-command.js'),
  ]);
  const registry = await Registry.open(dataDir);
  try {
    const PATH = await resolveLoginShellPath({ fallback: process.env.PATH ?? '' });
    return await runApproveCommand(rest, io, dataDir, registry, { PATH });
  } finally {
    registry.dispose();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`gatehouse: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
