/**
 * What the `gatehouse` binary says when the user gets something wrong (issue 17): config files
 * with typos, broken JSON or another client's layout; unknown commands, clients, servers and
 * options; secrets in use; tool counts over a client's cap.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, ensureCliBuilt, runCli, startCli, stopCli, type CliProcess } from '../support/cli.js';
import { SERVERS } from './harness.js';

let tmp: string;
const started: CliProcess[] = [];

beforeAll(async () => {
  ensureCliBuilt();
  tmp = await mkdtemp(path.join(tmpdir(), 'gatehouse-cli-messages-'));
}, 120_000);
afterEach(async () => {
  await Promise.all(started.splice(0).map(stopCli));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const p = path.join(tmp, name);
  await writeFile(p, text);
  return p;
}

/** The `  - ...` problem lines `serve` prints for an invalid config. */
const problems = (stderr: string): string[] => stderr.split('\n').filter((line) => line.startsWith('  - '));

describe('serve --config: errors as documented', () => {
  it('suggests "command" and "url" for a lone misspelling of either', async () => {
    const config = await file('typos.json', JSON.stringify({ mcpServers: { files: { comand: 'npx', args: ['x'] }, remote: { urll: 'https://a.example/mcp' } } }));
    const { code, stderr } = await runCli(['serve', '--config', config, '--port', '0', '--data-dir', path.join(tmp, 'never-1')]);
    expect(code).toBe(1);
    expect(problems(stderr)).toEqual([
      '  - server "files": unknown field "comand" (did you mean "command"?)',
      '  - server "remote": unknown field "urll" (did you mean "url"?)',
    ]);
  });

  it('says the line and column of a JSON syntax error', async () => {
    const config = await file('comma.json', '{\n  "mcpServers": {\n    "a": { "command": "node", }\n  }\n}\n');
    const { code, stderr } = await runCli(['serve', '--config', config, '--port', '0', '--data-dir', path.join(tmp, 'never-2')]);
    expect(code).toBe(1);
    expect(problems(stderr)).toEqual([`  - ${config}: invalid JSON at line 3, column 31: a comma before "}" (JSON allows none there)`]);
  });

  it('accepts a VS Code mcp.json ("servers") as the import screen does', async () => {
    const config = await file('vscode-mcp.json', JSON.stringify({ inputs: [], servers: { memory: { type: 'stdio', command: process.execPath, args: [SERVERS.memory] } } }));
    const run = startCli(['serve', '--config', config, '--port', '0', '--data-dir', path.join(tmp, 'data-vscode')], { env: cliEnv() });
    started.push(run);
    await run.waitForStdout(/^\s+memory\s+stdio\s+running\s+\d+ tools$/m);
  });
});
