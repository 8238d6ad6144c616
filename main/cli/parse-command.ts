/**
 * The argument handling every `gatehouse <command>` shares: `node:util` parseArgs with `-h,
 * --help` added, a bad option answered with one line saying what is wrong and the usage (exit
 * 2), `--help` answered with the usage (exit 0).
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { didYouMean } from '../../shared/spelling.js';
import { errorMessage } from '../core/base/logger.js';

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** The `gatehouse` commands, for the "did you mean" of an unknown one. */
export const COMMANDS = ['serve', 'tokens', 'secrets', 'approve', 'auth', 'audit', 'bridge', 'client'] as const;

/** Where a command's usage and errors go (`help` is stderr for the bridge, whose stdout is the protocol). */
export interface ParseCommandOutput {
  help(text: string): void;
  error(text: string): void;
}

type Parsed<T extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: T & typeof HELP }>>;

/**
 * Parses `argv` for `gatehouse <command>`; the parsed values and positionals, or the exit code
 * when the command is done (bad arguments: 2, `--help`: 0).
 */
export function parseCommand<T extends ParseArgsOptionsConfig>(
  command: string,
  usage: string,
  argv: readonly string[],
  options: T,
  out: ParseCommandOutput,
): Parsed<T> | number {
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { ...options, ...HELP } });
  } catch (error) {
    out.error(`gatehouse ${command}: ${describeArgsError(error, Object.keys({ ...options, ...HELP }))}\n\n${usage}\n`);
    return 2;
  }
  // Within the generic, the values' type is still open; `help` is always among the options.
  if ((parsed.values as { help?: boolean }).help) {
    out.help(`${usage}\n`);
    return 0;
  }
  return parsed;
}

/**
 * What was wrong with the arguments, in one line: `unknown option --serverz (did you mean
 * --servers?)`, `--port needs a value`, `--admin takes no value`, `unexpected argument "x"`,
 * instead of Node's parseArgs text (which explains `--` at length). `options` are the long
 * option names the command takes.
 */
export function describeArgsError(error: unknown, options: readonly string[]): string {
  const message = errorMessage(error);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  switch ((error as { code?: unknown }).code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const name = quoted.replace(/^-+/, '').split('=')[0]!;
      return `unknown option ${quoted}${didYouMean(name, options, (o) => `--${o}`)}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      // `'--port <value>'` or, with a short form, `'-h, --help'`.
      const option = /--[^\s<]+/.exec(quoted)?.[0] ?? quoted;
      return /argument missing/.test(message) ? `${option} needs a value` : `${option} takes no value`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted}"`;
    default:
      return message;
  }
}

/** `unknown command "token" (did you mean "tokens"?)`. */
export function unknownCommandMessage(word: string): string {
  return `unknown command "${word}"${didYouMean(word, COMMANDS)}`;
}
