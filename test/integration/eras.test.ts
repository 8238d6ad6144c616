import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAuth, FIXTURE_SERVER, SERVERS, startGateway, text, type RunningGateway } from './harness.js';
// @ts-expect-error: a plain .mjs fixture without types
import { createModernServer } from '../fixtures/modern-server.mjs';

const MODERN_SERVER = path.join(path.dirname(FIXTURE_SERVER), 'modern-server.mjs');

/**
 * The protocol-era matrix: 2025-era clients (SDK v1) and 2026-07-28 clients (SDK v2) against
 * a 2025-era stdio server (server-everything, SDK v1) and a 2026-07-28 server (SDK v2) over
 * stdio and streamable HTTP, through the aggregate and the per-server endpoints.
 */

/** What the tests do with a client, the same for both SDKs. */
interface EraClient {
  era: string;
  toolNames(): Promise<string[]>;
  call(name: string, args: Record<string, unknown>, onProgress?: (progress: number) => void): Promise<string>;
  prompt(name: string, args: Record<string, string>): Promise<string>;
  firstResource(): Promise<{ uri: string; text: string }>;
  /** Resolves on the next tools list_changed notification. */
  nextToolsChange(): Promise<void>;
  close(): Promise<void>;
}

const SAMPLED = 'a short summary';

async function legacyClient(url: string): Promise<EraClient> {
  const client = new LegacyClient({ name: 'v1-client', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({
    model: 'test-model',
    role: 'assistant',
    content: { type: 'text', text: SAMPLED },
  }));
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Ada' } }));
  let changed: (() => void) | undefined;
  client.setNotificationHandler(ToolListChangedNotificationSchema, async () => changed?.());
  await client.connect(new LegacyTransport(new URL(url), { requestInit: { headers: clientAuth(url) } }));
  return {
    era: client.getServerVersion() ? 'legacy' : 'unknown',
    toolNames: async () => (await client.listTools()).tools.map((t) => t.name),
    call: async (name, args, onProgress) =>
      text(await client.callTool({ name, arguments: args }, undefined, onProgress ? { onprogress: (p) => onProgress(p.progress) } : {})),
    prompt: async (name, args) => JSON.stringify((await client.getPrompt({ name, arguments: args })).messages),
    firstResource: async () => {
      const uri = (await client.listResources()).resources[0]!.uri;
      const read = await client.readResource({ uri });
      return { uri, text: (read.contents[0] as { text?: string }).text ?? '' };
    },
    nextToolsChange: () => new Promise<void>((resolve) => (changed = resolve)),
    close: () => client.close(),
  };
}

async function modernClient(url: string): Promise<EraClient> {
  const client = new ModernClient(
    { name: 'v2-client', version: '2.0.0' },
    { capabilities: { sampling: {}, elicitation: { form: {} } }, versionNegotiation: { mode: 'auto' } },
  );
  client.setRequestHandler('sampling/createMessage', async () => ({
    model: 'test-model',
    role: 'assistant',
    content: { type: 'text', text: SAMPLED },
  }));
  client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { name: 'Ada' } }));
  let changed: (() => void) | undefined;
  client.setNotificationHandler('notifications/tools/list_changed', () => changed?.());
  await client.connect(new ModernTransport(new URL(url), { requestInit: { headers: clientAuth(url) } }));
  const subscription = await client.listen({ toolsListChanged: true });
  return {
    era: client.getProtocolEra() ?? 'unknown',
    toolNames: async () => (await client.listTools(undefined, { cacheMode: 'bypass' })).tools.map((t) => t.name),
    call: async (name, args, onProgress) =>
      text(await client.callTool({ name, arguments: args }, onProgress ? { onprogress: (p) => onProgress(p.progress) } : {})),
    prompt: async (name, args) => JSON.stringify((await client.getPrompt({ name, arguments: args })).messages),
    firstResource: async () => {
      const uri = (await client.listResources(undefined, { cacheMode: 'bypass' })).resources[0]!.uri;
      const read = await client.readResource({ uri }, { cacheMode: 'bypass' });
      return { uri, text: (read.contents[0] as { text?: string }).text ?? '' };
    },
    nextToolsChange: () => new Promise<void>((resolve) => (changed = resolve)),
    close: async () => {
      await subscription.close().catch(() => {});
      await client.close();
    },
  };
}

/** Per backend: a plain call, a call with progress, a prompt, and a call that asks the client. */
const BACKENDS = {
  everything: {
    echo: { tool: 'echo', args: { message: 'hi' }, expect: 'Echo: hi' },
    progress: { tool: 'trigger-long-running-operation', args: { duration: 0.3, steps: 3 } },
    prompt: { name: 'args-prompt', args: { city: 'Lisbon' }, expect: 'Lisbon' },
    ask: { tool: 'trigger-sampling-request', args: { prompt: 'hello', maxTokens: 5 }, expect: SAMPLED },
  },
  modern_stdio: {
    echo: { tool: 'echo', args: { message: 'hi' }, expect: 'modern: hi' },
    progress: { tool: 'count', args: { steps: 3 } },
    prompt: { name: 'haiku', args: { topic: 'gates' }, expect: 'haiku about gates' },
    ask: { tool: 'greet', args: {}, expect: 'Hello, Ada!' },
  },
  modern_http: {
    echo: { tool: 'echo', args: { message: 'hi' }, expect: 'modern: hi' },
    progress: { tool: 'count', args: { steps: 3 } },
    prompt: { name: 'haiku', args: { topic: 'gates' }, expect: 'haiku about gates' },
    ask: { tool: 'summarize', args: { text: 'long text' }, expect: `model said: ${SAMPLED}` },
  },
} as const;

type BackendName = keyof typeof BACKENDS;

let gw: RunningGateway;
let modernHttp: HttpServer;
let modernHttpUrl: string;

beforeAll(async () => {
  const handler = toNodeHandler(createMcpHandler(() => createModernServer()));
  modernHttp = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => modernHttp.listen(0, '127.0.0.1', resolve));
  modernHttpUrl = `http://127.0.0.1:${(modernHttp.address() as AddressInfo).port}/mcp`;
  gw = await startGateway({
    everything: { command: 'node', args: [SERVERS.everything] },
    modern_stdio: { command: 'node', args: [MODERN_SERVER] },
    modern_http: { type: 'http', url: modernHttpUrl },
  });
});

afterAll(async () => {
  await gw?.stop();
  modernHttp?.closeAllConnections();
  await new Promise((resolve) => modernHttp?.close(resolve));
});

const CLIENTS = { 'SDK v1 client (2025 era)': legacyClient, 'SDK v2 client (2026-07-28)': modernClient };
const WAYS = ['aggregate', 'per-server'] as const;

describe.each(Object.entries(CLIENTS))('%s', (_label, open) => {
  describe.each(Object.keys(BACKENDS) as BackendName[])('backend %s', (backend) => {
    describe.each(WAYS)('through the %s endpoint', (way) => {
      const spec = BACKENDS[backend];
      const url = (): string => (way === 'aggregate' ? `${gw.url}/mcp` : `${gw.url}/servers/${backend}/mcp`);
      const name = (tool: string): string => (way === 'aggregate' ? `${backend}__${tool}` : tool);

      it('lists and calls tools, gets a prompt, reads a resource', async () => {
        const client = await open(url());
        try {
          if (open === modernClient) expect(client.era).toBe('modern');
          expect(await client.toolNames()).toContain(name(spec.echo.tool));
          expect(await client.call(name(spec.echo.tool), spec.echo.args)).toBe(spec.echo.expect);
          expect(await client.prompt(name(spec.prompt.name), spec.prompt.args)).toContain(spec.prompt.expect);
          const resource = await client.firstResource();
          expect(resource.uri).toMatch(/^\w+:\/\//);
          expect(resource.text.length).toBeGreaterThan(0);
        } finally {
          await client.close();
        }
      });

      it('relays progress and a request for input answered by the client', async () => {
        const client = await open(url());
        try {
          const progress: number[] = [];
          await client.call(name(spec.progress.tool), spec.progress.args, (p) => progress.push(p));
          expect(progress.length).toBeGreaterThanOrEqual(2);
          expect(progress).toEqual([...progress].sort((a, b) => a - b));
          expect(await client.call(name(spec.ask.tool), spec.ask.args)).toContain(spec.ask.expect);
        } finally {
          await client.close();
        }
      });

      it('tells the client when a tool filter change hides a tool', async () => {
        const client = await open(url());
        try {
          expect(await client.toolNames()).toContain(name(spec.echo.tool));
          const changed = client.nextToolsChange();
          await setToolFilter(backend, { block: [spec.echo.tool] });
          await withTimeout(changed, 5000, 'no tools/list_changed after the filter change');
          expect(await client.toolNames()).not.toContain(name(spec.echo.tool));
        } finally {
          await setToolFilter(backend, undefined);
          await client.close();
        }
      });
    });
  });
});

describe('per-server way across eras', () => {
  it('passes 2026-07-28 clients through to a 2026-07-28 HTTP backend and bridges 2025 ones', async () => {
    const res = await gw.admin(`/admin/servers/modern_http`);
    const view = (await res.json()) as { protocolEra?: string; ways?: Record<string, string> };
    expect(view.protocolEra).toBe('modern');
    expect(view.ways).toEqual({ legacyClients: 'bridged', modernClients: 'passthrough' });
    const stdio = (await (await gw.admin(`/admin/servers/modern_stdio`)).json()) as { ways?: Record<string, string> };
    expect(stdio.ways).toEqual({ legacyClients: 'bridged', modernClients: 'bridged' });
  });

  it('answers a 2026-07-28 request naming an unsupported revision with UnsupportedProtocolVersion', async () => {
    const res = await gw.request('/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2099-01-01' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/list',
        params: { _meta: envelope('2099-01-01') },
      }),
    });
    const body = (await res.json()) as { error?: { code: number; message: string; data?: { supported?: string[] } } };
    expect(body.error?.code).toBe(-32022);
    expect(body.error?.data?.supported).toContain('2026-07-28');
  });

  it('answers a header that contradicts the body with a header mismatch error', async () => {
    const res = await gw.request('/mcp', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'prompts/list',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/list',
        params: { _meta: envelope('2026-07-28') },
      }),
    });
    const body = (await res.json()) as { error?: { code: number; message: string } };
    expect(body.error?.code).toBe(-32020);
    expect(body.error?.message).toMatch(/mcp-method/i);
  });

  it('checks a 2026-07-28 backend with server/discover (it has no ping) and leaves it running', async () => {
    const pinged = await startGateway({ modern: { type: 'http', url: modernHttpUrl, pingIntervalMs: 100 } });
    try {
      await new Promise((resolve) => setTimeout(resolve, 700));
      const view = pinged.gateway.serverView('modern')!;
      expect(view.status).toBe('running');
      expect(view.restarts ?? 0).toBe(0);
    } finally {
      await pinged.stop();
    }
  });

  it('answers server/discover with what the live backends support together', async () => {
    const client = new ModernClient({ name: 'v2-client', version: '2.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new ModernTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: clientAuth(gw.url) } }));
    try {
      const discover = client.getDiscoverResult();
      expect(discover?.supportedVersions).toContain('2026-07-28');
      expect(discover?.capabilities).toMatchObject({ tools: { listChanged: true }, prompts: { listChanged: true } });
      expect(discover?.capabilities.resources).toMatchObject({ listChanged: true, subscribe: true });
    } finally {
      await client.close();
    }
  });
});

/** The 2026-07-28 per-request `_meta` envelope of a hand-made request. */
function envelope(protocolVersion: string): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': protocolVersion,
    'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
}

async function setToolFilter(server: BackendName, filter: { block: string[] } | undefined): Promise<void> {
  const current = (await (await gw.admin(`/admin/servers/${server}`)).json()) as { config: Record<string, unknown> };
  const { toolFilter: _old, ...config } = current.config;
  const res = await gw.admin(`/admin/servers/${server}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(filter ? { ...config, toolFilter: filter } : config),
  });
  expect(res.status).toBe(200);
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
