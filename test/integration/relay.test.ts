import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientPool, SERVERS, startGateway, type RunningGateway } from './harness.js';

describe('aggregate relays resources, logging, completions, ping and cancellation', () => {
  let gw: RunningGateway;
  const pool = clientPool();
  const connect = pool.connect;

  beforeAll(async () => {
    gw = await startGateway({ everything: { command: 'node', args: [SERVERS.everything] } });
  });
  afterEach(async () => {
    await pool.closeAll();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('relays resource subscriptions, updates and the backend log messages about them', async () => {
    const client = await connect(`${gw.url}/mcp`);
    const updated: string[] = [];
    const logs: Array<{ logger?: string; data?: unknown }> = [];
    client.setNotificationHandler('notifications/resources/updated', (n) => void updated.push(n.params.uri));
    client.setNotificationHandler('notifications/message', (n) => void logs.push(n.params));
    const uri = (await client.listResources()).resources[0]!.uri;
    await client.subscribeResource({ uri });
    await client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
    await expect.poll(() => updated, { timeout: 10_000 }).toContain(uri);
    await expect.poll(() => logs.map((l) => String(l.data)).join('\n'), { timeout: 5000 }).toContain('Subscribe');
    expect(logs.every((l) => l.logger?.startsWith('everything'))).toBe(true);
  });

  it('routes completions for a namespaced prompt', async () => {
    const client = await connect(`${gw.url}/mcp`);
    const result = await client.complete({
      ref: { type: 'ref/prompt', name: 'everything__completable-prompt' },
      argument: { name: 'department', value: 'E' },
    });
    expect(result.completion.values).toContain('Engineering');
  });

  it('answers ping', async () => {
    const client = await connect(`${gw.url}/mcp`);
    await expect(client.ping()).resolves.toBeDefined();
  });

  it('cancels a call the client gives up on and keeps serving', async () => {
    const client = await connect(`${gw.url}/mcp`);
    const controller = new AbortController();
    const call = client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 20, steps: 20 } },
      { signal: controller.signal, onprogress: () => controller.abort('user gave up') },
    );
    await expect(call).rejects.toThrow();
    const echo = await client.callTool({ name: 'everything__echo', arguments: { message: 'still here' } });
    expect(JSON.stringify(echo)).toContain('still here');
  });
});
