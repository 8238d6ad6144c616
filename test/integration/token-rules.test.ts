/**
 * A call refused by the client token's own tool filter says so, on every way through the
 * gateway; one refused by the server's filter keeps saying that (issue 17). Built as `serve`
 * builds the gateway, with real client tokens and the SDK client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEverythingHttp, type RunningBackend } from '../fixtures/backends.js';
import { bearer, clientPool, SERVERS, startGateway, text, type RunningGateway } from './harness.js';

let gw: RunningGateway;
let remote: RunningBackend;
let legacy: RunningBackend;
let narrow: string;
const pool = clientPool();

beforeAll(async () => {
  [remote, legacy] = await Promise.all([startEverythingHttp('streamableHttp'), startEverythingHttp('sse')]);
  gw = await startGateway({
    everything: { command: process.execPath, args: [SERVERS.everything], toolFilter: { block: ['get-sum'] } },
    remote: { type: 'streamable-http', url: remote.url, toolFilter: { block: ['get-sum'] } },
    legacy: { type: 'sse', url: legacy.url, toolFilter: { block: ['get-sum'] } },
  });
  narrow = (await gw.createToken('narrow', { servers: '*', toolFilter: { block: ['echo'] } })).secret;
}, 60_000);

afterAll(async () => {
  await pool.closeAll();
  await gw?.stop();
  await remote?.stop();
  await legacy?.stop();
});

const TOKEN_RULE = (server: string): string =>
  `Tool "echo" is disabled by the tool filter of the client token "narrow" (server "${server}" itself allows it)`;
const SERVER_RULE = (server: string): string => `Tool "get-sum" is disabled by the gateway's tool filter for server "${server}"`;

describe('whose rule refused a call', () => {
  it.each([
    ['aggregate /mcp', '/mcp', 'everything__', 'everything', false],
    ['aggregate /sse', '/sse', 'remote__', 'remote', true],
    ['per-server stdio (bridged)', '/servers/everything/mcp', '', 'everything', false],
    ['per-server streamable HTTP (pass-through)', '/servers/remote/mcp', '', 'remote', false],
    ['per-server legacy SSE (pass-through)', '/servers/legacy/sse', '', 'legacy', true],
  ])('%s', async (_way, path, prefix, server, sse) => {
    const client = await pool.connect(`${gw.url}${path}`, { headers: bearer(narrow), sse });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).not.toContain(`${prefix}echo`);
    expect(names).not.toContain(`${prefix}get-sum`);

    const byToken = await client.callTool({ name: `${prefix}echo`, arguments: { message: 'x' } });
    expect(byToken.isError).toBe(true);
    expect(text(byToken)).toBe(TOKEN_RULE(server));

    const byServer = await client.callTool({ name: `${prefix}get-sum`, arguments: { a: 1, b: 2 } });
    expect(byServer.isError).toBe(true);
    expect(text(byServer)).toBe(SERVER_RULE(server));
  });
});
