/**
 * Questions on the user's terminal (`Delete it? [y/N]`). The terminal is the process's
 * controlling one, opened as `/dev/tty`, so a question can be asked even when stdin carried a
 * piped value (`printf %s "$TOKEN" | gatehouse secrets set github`). Without a terminal (a
 * script, a service, CI) there is no question, and the command does the safe thing itself.
 */
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { ReadStream, WriteStream } from 'node:tty';

/** Asks `question` and resolves to the answer (`defaultAnswer` on an empty line). */
export type Confirm = (question: string, defaultAnswer: boolean) => Promise<boolean>;

/**
 * A {@link Confirm} on the controlling terminal, or `undefined` when the user is not at one:
 * neither stdin nor stderr is a terminal, or no terminal can be opened (Windows: only a
 * terminal stdin is used, and only while nothing has read it).
 */
export function terminalConfirm(std: { stdin: NodeJS.ReadStream; stderr: NodeJS.WriteStream } = process): Confirm | undefined {
  if (!std.stdin.isTTY && !std.stderr.isTTY) return undefined;
  if (process.platform === 'win32') {
    return std.stdin.isTTY ? (question, defaultAnswer) => ask(std.stdin, std.stderr, question, defaultAnswer) : undefined;
  }
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    return undefined;
  }
  closeSync(fd);
  return async (question, defaultAnswer) => {
    // One descriptor per stream: each stream closes its own.
    const input = new ReadStream(openSync('/dev/tty', 'r'));
    const output = new WriteStream(openSync('/dev/tty', 'w'));
    try {
      return await ask(input, output, question, defaultAnswer);
    } finally {
      input.destroy();
      output.destroy();
    }
  };
}

async function ask(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, question: string, defaultAnswer: boolean): Promise<boolean> {
  const rl = createInterface({ input, output, terminal: false });
  try {
    const answer = (await rl.question(`${question} ${defaultAnswer ? '[Y/n]' : '[y/N]'} `)).trim().toLowerCase();
    return answer === '' ? defaultAnswer : answer === 'y' || answer === 'yes';
  } finally {
    rl.close();
  }
}
