/**
 * Each client is listed only the tools its backends would serve it (issue 17): server-everything
 * registers `get-roots-list` only for clients that declare `roots`. A backend reached over one
 * upstream session per client (remote servers, per-client stdio) is asked as that client would
 * be; a shared stdio process, initialized once with every relayed capability, serves the tool to
 * all and routes its roots request to a client that can answer. Built as `serve` builds the
 * gateway (the harness), with its client token and SDK clients of both protocol eras.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientCapabilities } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEverythingHttp, type RunningBackend } from '../fixtures/backends.js';
import { bearer, clientPool, SERVERS, startGateway, text, type RunningGateway } from './harness.js';

let gw: RunningGateway;
let remote: RunningBackend;
const pool = clientPool();
const modern: Client[] = [];

beforeAll(async () => {
  remote = await startEverythingHttp('streamableHttp');
  gw = await startGateway({
    shared: { command: process.execPath, args: [SERVERS.everything] },
    perclient: { command: process.execPath, args: [SERVERS.everything], isolation: 'per-client' },
    remote: { type: 'streamable-http', url: remote.url },
  });
}, 60_000);

afterEach(async () => {
  await pool.closeAll();
  await Promise.allSettled(modern.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await gw?.stop();
  await remote?.stop();
});

const ROOTS: ClientCapabilities = { roots: { listChanged: true } };
const ROOT = { uri: 'file:///work/project', name: 'project' };

/** A 2025-era SDK client, answering roots/list with {@link ROOT} when it declares roots. */
async function legacyClient(path: string, capabilities: ClientCapabilities): Promise<Client> {
  const client = await pool.connect(`${gw.url}${path}`, { capabilities });
  if (capabilities.roots) client.setRequestHandler('roots/list', async () => ({ roots: [ROOT] }));
  return client;
}

async function rootsTools(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name).filter((name) => name.endsWith('get-roots-list')).sort();
}

describe('tools that need a client capability', () => {
  it('the aggregate lists a client without roots only what its backends serve it, and those calls work', async () => {
    const client = await legacyClient('/mcp', {});
    expect(await rootsTools(client)).toEqual(['shared__get-roots-list']);
    const shared = await client.callTool({ name: 'shared__get-roots-list', arguments: {} });
    expect(text(shared)).not.toMatch(/not found/i);
    await expect(client.callTool({ name: 'remote__get-roots-list', arguments: {} })).rejects.toThrow(/Tool remote__get-roots-list not found/);
  });

  it('the aggregate lists a client with roots every one, and each call reaches it', async () => {
    const client = await legacyClient('/mcp', ROOTS);
    const names = await rootsTools(client);
    expect(names).toEqual(['perclient__get-roots-list', 'remote__get-roots-list', 'shared__get-roots-list']);
    for (const name of names) expect(text(await client.callTool({ name, arguments: {} }))).toContain(ROOT.uri);
  });

  it('a client without roots after one with them still sees only its own (no catalog is overwritten)', async () => {
    await rootsTools(await legacyClient('/mcp', ROOTS));
    const plain = await legacyClient('/mcp', {});
    expect(await rootsTools(plain)).toEqual(['shared__get-roots-list']);
    await plain.callTool({ name: 'perclient__echo', arguments: { message: 'x' } });
    expect(await rootsTools(await legacyClient('/mcp', ROOTS))).toHaveLength(3);
  });

  it.each([
    ['/servers/shared/mcp (shared stdio, bridged)', '/servers/shared/mcp', true],
    ['/servers/perclient/mcp (per-client stdio, bridged)', '/servers/perclient/mcp', false],
    ['/servers/remote/mcp (pass-through)', '/servers/remote/mcp', false],
  ])('per server %s: listed to a client without roots only where it can be called', async (_name, path, servedWithoutRoots) => {
    const plain = await legacyClient(path, {});
    expect(await rootsTools(plain)).toEqual(servedWithoutRoots ? ['get-roots-list'] : []);
    const withRoots = await legacyClient(path, ROOTS);
    expect(await rootsTools(withRoots)).toEqual(['get-roots-list']);
    expect(text(await withRoots.callTool({ name: 'get-roots-list', arguments: {} }))).toContain(ROOT.uri);
  });

  it('a 2026-07-28 client is listed by the capabilities its request declares', async () => {
    const client = new Client({ name: 'v2-client', version: '2.0.0' }, { versionNegotiation: { mode: 'auto' } });
    modern.push(client);
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: bearer(gw.clientToken!) } }));
    expect(client.getProtocolEra()).toBe('modern');
    expect(await rootsTools(client)).toEqual(['shared__get-roots-list']);
  });
});
