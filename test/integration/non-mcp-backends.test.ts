/**
 * A remote URL that is not an MCP server (an API answering its own JSON, a login page) is said
 * in one line naming the server and what came back: in its state's reason, the admin API's
 * server view, the gateway's log and the `serve` table (issue 17). Built as `serve` builds the
 * gateway (the harness); the CLI test runs the built binary.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../main/core/base/logger.js';
import { CliRunner, ensureCliBuilt, waitForStdout } from '../support/cli-runner.js';
import { startGateway, type RunningGateway } from './harness.js';

let api: HttpServer;
let base: string;

beforeAll(async () => {
  // Answers every request as a plain JSON API or a login page would, never with MCP.
  api = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/login') res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Please log in</body></html>');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":"world","token":"not-for-logs"}');
    });
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});

afterAll(async () => {
  api?.closeAllConnections();
  await new Promise((resolve) => api?.close(resolve));
});

const JSON_REASON = 'backend "hello" answered with JSON that is not an MCP message (HTTP 200): an object with the keys "hello", "token"';
const HTML_REASON = 'backend "login" answered with text/html, not an MCP message (HTTP 200)';

describe('a remote URL that does not speak MCP', () => {
  let gw: RunningGateway;
  const lines: string[] = [];

  beforeAll(async () => {
    gw = await startGateway(
      {
        hello: { type: 'streamable-http', url: `${base}/mcp`, restart: 'never' },
        login: { type: 'streamable-http', url: `${base}/login`, restart: 'never' },
      },
      { logger: createLogger('gatehouse', { write: (line) => lines.push(line) }) },
    );
  }, 30_000);
  afterAll(async () => {
    await gw?.stop();
  });

  it.each([
    ['hello', JSON_REASON],
    ['login', HTML_REASON],
  ])('%s: one line in its state, the admin API and the log', async (name, reason) => {
    await expect.poll(() => gw.gateway.serverView(name)?.status).toBe('error');
    expect(gw.gateway.serverView(name)?.reason).toBe(reason);
    const view = (await (await gw.admin(`/admin/servers/${name}`)).json()) as { status: string; reason: string; lastError?: string };
    expect(view.status).toBe('error');
    expect(view.reason).toBe(reason);
    const mentions = lines.filter((line) => line.includes(`"server":"${name}"`) && line.includes('not an MCP message'));
    expect(mentions).toHaveLength(1);
    expect(mentions[0]).toContain(JSON.stringify(reason).slice(1, -1));
    // The backend's address and the values it sent stay out of it.
    expect(lines.join('\n')).not.toContain(base);
    expect(lines.join('\n')).not.toContain('not-for-logs');
  });
});

describe('gatehouse serve with such a URL', () => {
  let tmp: string;
  const cli = new CliRunner(() => tmp);
  beforeAll(async () => {
    ensureCliBuilt();
    tmp = await mkdtemp(path.join(tmpdir(), 'gatehouse-non-mcp-'));
  }, 120_000);
  afterAll(async () => {
    await cli.stopAll();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('prints the reason in its table, and the whole start stays short', async () => {
    const config = path.join(tmp, 'mcp.json');
    await writeFile(config, JSON.stringify({ mcpServers: { hello: { type: 'streamable-http', url: `${base}/mcp`, restart: 'never' } } }));
    const { run } = await cli.serve(['--config', config, '--data-dir', path.join(tmp, 'data')]);
    const [, reason] = await waitForStdout(run, /^\s+hello\s+streamable-http\s+error\s+(.*)$/m);
    expect(reason).toBe(JSON_REASON);
    await cli.stopAll();
    expect(run.stderr().split('\n').filter((line) => line.includes('not an MCP message'))).toHaveLength(1);
    expect(run.stdout().split('\n').length + run.stderr().split('\n').length).toBeLessThan(30);
  }, 30_000);
});
