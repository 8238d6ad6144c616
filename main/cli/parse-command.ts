/**
 * The argument handling every `gatehouse <command>` shares: `node:util` parseArgs with `-h,
 * --help` added, a bad option answered with the message and the usage (exit 2), `--help`
 * answered with the usage (exit 0).
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { errorMessage } from '../core/base/logger.js';

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

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
    out.error(`gatehouse ${command}: ${errorMessage(error)}\n\n${usage}\n`);
    return 2;
  }
  // Within the generic, the values' type is still open; `help` is always among the options.
  if ((parsed.values as { help?: boolean }).help) {
    out.help(`${usage}\n`);
    return 0;
  }
  return parsed;
}
