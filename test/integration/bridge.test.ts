/**
 * `gatehouse bridge` end to end: an SDK client on the stdio side sees what an HTTP client of the
 * gateway sees (tools, results, progress, sampling), for the aggregate and one server, and
 * carries on after the gateway restarts. The in-process tests put the bridge between a pair of
 * in-memory transports; the last one runs the real command (`node <cli> bridge`) over stdio.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, InMemoryTransport, type JSONRPCMessage, type Transport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../main/core/base/logger.js';
import { GatewayBridge, isConnectionLost } from '../../main/core/bridge/gateway-bridge.js';
import { resolveBridgeUrl } from '../../main/cli/bridge-command.js';
import { clientPool, SERVERS, startGateway, text, type RunningGateway } from './harness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EVERYTHING = { everything: { command: 'node', args: [SERVERS.everything] } };

let gw: RunningGateway | undefined;
const bridges: GatewayBridge[] = [];
const clients: Client[] = [];
const pool = clientPool();

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  await Promise.allSettled(bridges.splice(0).map((b) => b.close()));
  await pool.closeAll();
  await gw?.stop();
  gw = undefined;
});

/** An SDK client whose transport is the bridge's client side. */
async function connectThroughBridge(url: string, capabilities: Record<string, unknown> = {}): Promise<{ client: Client; bridge: GatewayBridge }> {
  const [clientSide, bridgeSide] = InMemoryTransport.createLinkedPair();
  const bridge = new GatewayBridge(bridgeSide, { url: new URL(url), token: gw!.clientToken!, initialRetryMs: 50, maxRetryMs: 200 });
  bridges.push(bridge);
  await bridge.start();
  const client = new Client({ name: 'bridged-client', version: '1.0.0' }, { capabilities });
  clients.push(client);
  await client.connect(clientSide);
  return { client, bridge };
}

describe('gatehouse bridge (in process)', () => {
  it('sees the same tools and results as an HTTP client of the aggregate', async () => {
    gw = await startGateway(EVERYTHING);
    const direct = await pool.connect(`${gw.url}/mcp`);
    const { client } = await connectThroughBridge(`${gw.url}/mcp`);
    const viaBridge = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(viaBridge).toEqual((await direct.listTools()).tools.map((t) => t.name).sort());
    expect(viaBridge).toContain('everything__echo');
    const args = { name: 'everything__echo', arguments: { message: 'through the bridge' } };
    expect(await client.callTool(args)).toEqual(await direct.callTool(args));
    expect(client.getServerVersion()?.name).toBe((direct.getServerVersion() ?? {}).name);
  });

  it('relays progress and sampling both ways', async () => {
    gw = await startGateway(EVERYTHING);
    const { client } = await connectThroughBridge(`${gw.url}/mcp`, { sampling: {} });
    const progress: number[] = [];
    await client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(progress).toEqual([1, 2, 3]);
    client.setRequestHandler('sampling/createMessage', async () => ({
      model: 'bridge-model',
      role: 'assistant',
      content: { type: 'text', text: 'sampled through the bridge' },
    }));
    const result = await client.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'hello', maxTokens: 5 } });
    expect(text(result)).toContain('bridge-model');
  });

  it('reaches one server on its own endpoint, names not prefixed', async () => {
    gw = await startGateway(EVERYTHING);
    const { client } = await connectThroughBridge(`${gw.url}/servers/everything/mcp`);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('echo');
    expect(text(await client.callTool({ name: 'echo', arguments: { message: 'one server' } }))).toContain('one server');
  });

  it('carries on when the gateway restarts on the same port', async () => {
    // The user's token outlives a restart of the gateway: the same one on both runs.
    const clientToken = 'gth_bridge-restart-token';
    gw = await startGateway(EVERYTHING, { clientToken });
    const port = new URL(gw.url).port;
    const { client } = await connectThroughBridge(`${gw.url}/mcp`);
    const changed: string[] = [];
    client.setNotificationHandler('notifications/tools/list_changed', () => void changed.push('tools'));
    expect(text(await client.callTool({ name: 'everything__echo', arguments: { message: 'before' } }))).toContain('before');
    await gw.stop();
    gw = await startGateway(EVERYTHING, { port: Number(port), clientToken });
    // Same client session: the bridge replays the handshake on a new gateway session.
    expect(text(await client.callTool({ name: 'everything__echo', arguments: { message: 'after' } }))).toContain('after');
    await expect.poll(() => changed).toContain('tools');
  });

  it('answers a request with an error when the gateway stays away', async () => {
    gw = await startGateway(EVERYTHING);
    const url = `${gw.url}/mcp`;
    const [clientSide, bridgeSide] = InMemoryTransport.createLinkedPair();
    const bridge = new GatewayBridge(bridgeSide, { url: new URL(url), token: gw.clientToken!, initialRetryMs: 20, maxRetryMs: 50, holdMs: 200 });
    bridges.push(bridge);
    await bridge.start();
    const client = new Client({ name: 'c', version: '1' });
    clients.push(client);
    await client.connect(clientSide);
    await gw.stop();
    gw = undefined;
    await expect(client.callTool({ name: 'everything__echo', arguments: { message: 'x' } })).rejects.toThrow(/not reachable|lost/);
  });

  it('resolves --url (the base or an endpoint, as serve prints them) and --server', () => {
    expect(String(resolveBridgeUrl(undefined, undefined))).toBe('http://127.0.0.1:7420/mcp');
    expect(String(resolveBridgeUrl('http://127.0.0.1:9000', 'github'))).toBe('http://127.0.0.1:9000/servers/github/mcp');
    expect(String(resolveBridgeUrl('http://127.0.0.1:9000/', 'github'))).toBe('http://127.0.0.1:9000/servers/github/mcp');
    expect(String(resolveBridgeUrl('http://127.0.0.1:9000/servers/x/mcp', undefined))).toBe('http://127.0.0.1:9000/servers/x/mcp');
    // The endpoint serve prints, with --server: that server's endpoint, not ".../mcp/servers/x/mcp".
    expect(String(resolveBridgeUrl('http://127.0.0.1:9000/mcp', 'x'))).toBe('http://127.0.0.1:9000/servers/x/mcp');
    expect(String(resolveBridgeUrl('http://127.0.0.1:9000/sse', undefined))).toBe('http://127.0.0.1:9000/mcp');
    expect(String(resolveBridgeUrl('https://example.test/gatehouse/mcp', 'x'))).toBe('https://example.test/gatehouse/servers/x/mcp');
    expect(resolveBridgeUrl('http://127.0.0.1:9000/servers/x/mcp', 'y')).toMatch(/--server y does not match the server in --url \(x\)/);
    expect(resolveBridgeUrl('file:///x', undefined)).toMatch(/http or https/);
    expect(isConnectionLost(new TypeError('fetch failed'))).toBe(true);
    expect(isConnectionLost(Object.assign(new Error('x'), { status: 404 }))).toBe(true);
    expect(isConnectionLost(Object.assign(new Error('x'), { status: 401 }))).toBe(false);
  });
});

/** An upstream whose every send fails as fetch does when nothing listens. */
function downUpstream(): Transport {
  return {
    start: async () => {},
    send: async () => {
      throw new TypeError('fetch failed');
    },
    close: async () => {},
  };
}

describe('gatehouse bridge while the gateway is down', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('backs off, says so once, and answers a waiting request with an error after 30 s', async () => {
    vi.useFakeTimers();
    let attempts = 0;
    const lines: string[] = [];
    const logger = createLogger('bridge', { level: 'info', write: (line) => lines.push(line) });
    const [clientSide, bridgeSide] = InMemoryTransport.createLinkedPair();
    const bridge = new GatewayBridge(bridgeSide, {
      url: new URL('http://127.0.0.1:9/mcp'),
      logger,
      // Past 200 attempts the upstream hangs instead of failing, so a bridge that spins stops
      // spinning and this test can fail rather than never end.
      createUpstream: () => (++attempts > 200 ? { ...downUpstream(), send: () => new Promise<void>(() => {}) } : downUpstream()),
    });
    bridges.push(bridge);
    await bridge.start();
    const answers: JSONRPCMessage[] = [];
    clientSide.onmessage = (message) => void answers.push(message);
    await clientSide.start();
    await clientSide.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });

    await vi.advanceTimersByTimeAsync(29_000);
    expect(answers).toEqual([]);
    // Capped exponential backoff (250 ms doubling to 5 s, each delay 50-100 % of that): 10 to 16 attempts in 29 s.
    expect(attempts).toBeGreaterThanOrEqual(10);
    expect(attempts).toBeLessThanOrEqual(16);
    // The state change is said once, not at every attempt.
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/cannot reach the gateway/);

    await vi.advanceTimersByTimeAsync(1_500);
    expect(answers).toEqual([
      expect.objectContaining({ id: 1, error: expect.objectContaining({ code: -32603, message: expect.stringMatching(/Gatehouse at http:\/\/127\.0\.0\.1:9\/mcp is not reachable .*30 s/) }) }),
    ]);
  });
});

/** A port nothing listens on (yet): taken from the OS, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('gatehouse bridge (the command, over stdio)', () => {
  /** GATEHOUSE_TEST_CLI runs another build; otherwise a fresh one is made in out/bridge-test (dist/ is left alone). */
  const cli = process.env.GATEHOUSE_TEST_CLI ? path.resolve(root, process.env.GATEHOUSE_TEST_CLI) : path.join(root, 'out/bridge-test/main/cli.js');

  beforeAll(() => {
    if (process.env.GATEHOUSE_TEST_CLI) return;
    const tsc = path.join(root, 'node_modules/.bin/tsc');
    const built = spawnSync(tsc, ['-p', 'tsconfig.build.json', '--outDir', path.join(root, 'out/bridge-test')], { cwd: root, encoding: 'utf8' });
    if (!existsSync(cli)) throw new Error(`build failed:\n${built.stdout}\n${built.stderr}`);
  }, 120_000);

  it('serves the gateway over stdio with the token from the environment', async () => {
    try {
      gw = await startGateway(EVERYTHING);
      const { secret } = await gw.createToken('bridge-test', { servers: ['everything'] });
      const connectStdio = async (env: Record<string, string>): Promise<Client> => {
        const transport = new StdioClientTransport({
          command: process.execPath,
          args: [cli, 'bridge', '--url', gw!.url, '--server', 'everything', '--token-env', 'MY_GATEHOUSE_TOKEN'],
          env: { PATH: process.env.PATH ?? '', ...env },
          stderr: 'pipe',
        });
        const client = new Client({ name: 'stdio-client', version: '1.0.0' });
        clients.push(client);
        await client.connect(transport);
        return client;
      };
      const client = await connectStdio({ MY_GATEHOUSE_TOKEN: secret });
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('echo');
      expect(text(await client.callTool({ name: 'echo', arguments: { message: 'over stdio' } }))).toContain('over stdio');
      // Without the token the gateway refuses, and the bridge says why.
      await expect(connectStdio({})).rejects.toThrow(/refused|401|Unauthorized/i);
    } finally {
      await gw?.stop();
      gw = undefined;
    }
  });

  it('waits quietly while the gateway is down, then carries on once it is up', async () => {
    const port = await freePort();
    // The token the gateway will know once it is up (as the user's token outlives a restart).
    const clientToken = 'gth_bridge-outage-token';
    let stderr = '';
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cli, 'bridge', '--url', `http://127.0.0.1:${port}`, '--server', 'everything', '--log-level', 'info'],
      env: { PATH: process.env.PATH ?? '', GATEHOUSE_TOKEN: clientToken },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const client = new Client({ name: 'patient-client', version: '1.0.0' });
    clients.push(client);
    const connected = client.connect(transport);
    // Awaited below; a test that fails before that must not also leave an unhandled rejection.
    connected.catch(() => undefined);
    // The client's initialize is held while the bridge retries against a closed port.
    await expect.poll(() => stderr, { timeout: 10_000 }).toMatch(/cannot reach the gateway/);
    gw = await startGateway(EVERYTHING, { port, clientToken });
    await connected;
    expect(text(await client.callTool({ name: 'echo', arguments: { message: 'after the outage' } }))).toContain('after the outage');
    // One line when it went down, one when it came back: not one per attempt.
    const lines = stderr.split('\n').filter((line) => line.includes('[bridge]'));
    expect(lines, stderr).toHaveLength(2);
    expect(lines[1]).toMatch(/reconnected to the gateway/);
  });
});
