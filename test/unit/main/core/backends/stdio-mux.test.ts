import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { StdioMux, type MuxPort } from '../../../../../main/core/backends/stdio-mux.js';

/** A backend transport that records what the mux sends and lets the test answer. */
class FakeBackend implements Transport {
  sent: JSONRPCMessage[] = [];
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  async start(): Promise<void> {}
  async send(message: JSONRPCMessage): Promise<void> {
    this.sent.push(message);
  }
  async close(): Promise<void> {
    this.onclose?.();
  }
  reply(message: JSONRPCMessage): void {
    this.onmessage?.(message);
  }
  last(): Record<string, unknown> {
    return this.sent.at(-1) as Record<string, unknown>;
  }
}

function openPort(mux: StdioMux, opts?: { answersServerRequests?: boolean }): { port: MuxPort; received: JSONRPCMessage[] } {
  const port = mux.openPort(opts);
  const received: JSONRPCMessage[] = [];
  port.onmessage = (m) => received.push(m);
  return { port, received };
}

const INIT_RESULT = { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'b', version: '1' } };

async function initialized(caps: Record<string, unknown> = {}): Promise<{ mux: StdioMux; backend: FakeBackend; owner: ReturnType<typeof openPort> }> {
  const backend = new FakeBackend();
  const mux = new StdioMux(backend);
  const owner = openPort(mux, { answersServerRequests: false });
  await owner.port.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { capabilities: caps } });
  backend.reply({ jsonrpc: '2.0', id: backend.last().id as number, result: INIT_RESULT });
  await owner.port.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return { mux, backend, owner };
}

describe('StdioMux', () => {
  it('initializes the backend once and answers later sessions from the cached result', async () => {
    const { mux, backend, owner } = await initialized();
    expect(owner.received[0]).toMatchObject({ id: 0, result: INIT_RESULT });
    const sentBefore = backend.sent.length;
    const second = openPort(mux);
    await second.port.send({ jsonrpc: '2.0', id: 'x', method: 'initialize', params: { capabilities: { sampling: {} } } });
    await second.port.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(second.received[0]).toMatchObject({ id: 'x', result: INIT_RESULT });
    expect(backend.sent.length).toBe(sentBefore);
  });

  it('remaps request ids so two sessions using the same id get their own answers', async () => {
    const { mux, backend } = await initialized();
    const a = openPort(mux);
    const b = openPort(mux);
    await a.port.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo' } });
    const idA = backend.last().id;
    await b.port.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo' } });
    const idB = backend.last().id;
    expect(idA).not.toBe(idB);
    backend.reply({ jsonrpc: '2.0', id: idB as number, result: { content: [{ type: 'text', text: 'for b' }] } });
    backend.reply({ jsonrpc: '2.0', id: idA as number, result: { content: [{ type: 'text', text: 'for a' }] } });
    expect(a.received).toEqual([{ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'for a' }] } }]);
    expect(b.received).toEqual([{ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'for b' }] } }]);
  });

  it('remaps progress tokens and routes progress to the session that asked', async () => {
    const { mux, backend } = await initialized();
    const a = openPort(mux);
    const b = openPort(mux);
    await a.port.send({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 't', _meta: { progressToken: 5 } } });
    const tokenA = (backend.last().params as { _meta: { progressToken: string } })._meta.progressToken;
    await b.port.send({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 't', _meta: { progressToken: 5 } } });
    const tokenB = (backend.last().params as { _meta: { progressToken: string } })._meta.progressToken;
    expect(tokenA).not.toBe(tokenB);
    backend.reply({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: tokenB, progress: 1 } });
    expect(a.received).toEqual([]);
    expect(b.received).toEqual([{ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 5, progress: 1 } }]);
  });

  it('sends a server-to-client request to the capable session with the most recent call in flight', async () => {
    const { mux, backend } = await initialized();
    const older = openPort(mux);
    const newer = openPort(mux);
    const incapable = openPort(mux);
    for (const [p, caps] of [[older, { sampling: {} }], [newer, { sampling: {} }], [incapable, {}]] as const) {
      await p.port.send({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { capabilities: caps } });
    }
    await older.port.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x' } });
    await newer.port.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x' } });
    await incapable.port.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x' } });
    backend.reply({ jsonrpc: '2.0', id: 900, method: 'sampling/createMessage', params: { messages: [] } });
    expect(newer.received.at(-1)).toMatchObject({ id: 900, method: 'sampling/createMessage' });
    expect(older.received.some((m) => 'method' in m && m.method === 'sampling/createMessage')).toBe(false);
    await newer.port.send({ jsonrpc: '2.0', id: 900, result: { model: 'm', role: 'assistant', content: { type: 'text', text: 'hi' } } });
    expect(backend.last()).toMatchObject({ id: 900, result: { model: 'm' } });
  });

  it('answers a server-to-client request with an error when no session can take it', async () => {
    const { backend } = await initialized();
    backend.reply({ jsonrpc: '2.0', id: 77, method: 'elicitation/create', params: {} });
    expect(backend.last()).toMatchObject({ id: 77, error: { code: -32601 } });
  });

  it('keeps a URI subscribed while any session subscribes to it, and delivers updates only to subscribers', async () => {
    const { mux, backend } = await initialized();
    const a = openPort(mux);
    const b = openPort(mux);
    const c = openPort(mux);
    await a.port.send({ jsonrpc: '2.0', id: 1, method: 'resources/subscribe', params: { uri: 'r://1' } });
    backend.reply({ jsonrpc: '2.0', id: backend.last().id as number, result: {} });
    const sent = backend.sent.length;
    await b.port.send({ jsonrpc: '2.0', id: 1, method: 'resources/subscribe', params: { uri: 'r://1' } });
    await a.port.send({ jsonrpc: '2.0', id: 2, method: 'resources/unsubscribe', params: { uri: 'r://1' } });
    expect(backend.sent.length).toBe(sent); // neither reached the backend
    expect(b.received.at(-1)).toMatchObject({ id: 1, result: {} });
    backend.reply({ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'r://1' } });
    expect(b.received.at(-1)).toMatchObject({ method: 'notifications/resources/updated' });
    expect(a.received.some((m) => 'method' in m)).toBe(false);
    expect(c.received).toEqual([]);
    await b.port.close();
    expect(backend.last()).toMatchObject({ method: 'resources/unsubscribe', params: { uri: 'r://1' } });
  });

  it('sets the backend log level to the most verbose any session asked for and filters per session', async () => {
    const { mux, backend } = await initialized();
    const quiet = openPort(mux);
    const chatty = openPort(mux);
    await quiet.port.send({ jsonrpc: '2.0', id: 1, method: 'logging/setLevel', params: { level: 'error' } });
    expect(backend.last()).toMatchObject({ method: 'logging/setLevel', params: { level: 'error' } });
    await chatty.port.send({ jsonrpc: '2.0', id: 1, method: 'logging/setLevel', params: { level: 'debug' } });
    expect(backend.last()).toMatchObject({ method: 'logging/setLevel', params: { level: 'debug' } });
    backend.reply({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'hello' } });
    expect(chatty.received.at(-1)).toMatchObject({ method: 'notifications/message' });
    expect(quiet.received.some((m) => 'method' in m && m.method === 'notifications/message')).toBe(false);
  });

  it('cancels the in-flight requests of a session that closes', async () => {
    const { mux, backend } = await initialized();
    const a = openPort(mux);
    await a.port.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'slow' } });
    const globalId = backend.last().id;
    await a.port.close();
    expect(backend.last()).toMatchObject({ method: 'notifications/cancelled', params: { requestId: globalId } });
  });

  it('closes every session when the backend goes away', async () => {
    const { mux, backend } = await initialized();
    const a = openPort(mux);
    let closed = false;
    a.port.onclose = () => {
      closed = true;
    };
    await backend.close();
    expect(closed).toBe(true);
    await expect(a.port.send({ jsonrpc: '2.0', id: 1, method: 'ping' })).rejects.toThrow(/closed/);
    expect(mux.isClosed).toBe(true);
  });
});
