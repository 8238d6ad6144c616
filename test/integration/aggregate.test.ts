import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientPool, FIXTURE_SERVER, makeCallLog, SERVERS, startGateway, text, type RunningGateway } from './harness.js';

describe('aggregate /mcp in front of real stdio servers', () => {
  let gw: RunningGateway;
  let callLog: Awaited<ReturnType<typeof makeCallLog>>;
  const pool = clientPool();
  const connect = pool.connect;

  beforeAll(async () => {
    callLog = await makeCallLog();
    gw = await startGateway({
      everything: { command: 'node', args: [SERVERS.everything] },
      memory: { command: 'node', args: [SERVERS.memory] },
      alpha: { command: 'node', args: [FIXTURE_SERVER], env: { FIXTURE_LABEL: 'alpha', FIXTURE_CALL_LOG: callLog.path } },
      beta: {
        command: 'node',
        args: [FIXTURE_SERVER],
        env: { FIXTURE_LABEL: 'beta', FIXTURE_CALL_LOG: callLog.path },
        toolFilter: { block: ['delete_*'] },
      },
      // No restarts: this file checks how a failed start is reported (supervision tests restarts).
      broken: { command: 'node', args: [FIXTURE_SERVER, '--crash-on-start'], restart: 'never' },
      missing: { command: 'gatehouse-no-such-command-xyz', restart: 'never' },
    });
  });
  afterEach(async () => {
    await pool.closeAll();
  });
  afterAll(async () => {
    await gw?.stop();
    await callLog?.remove();
  });

  it('lists the tools of every running server, namespaced <server>__<tool>', async () => {
    const client = await connect(`${gw.url}/mcp`);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('everything__echo');
    expect(names).toContain('memory__create_entities');
    expect(names).toContain('alpha__whoami');
    expect(names).toContain('beta__whoami');
    expect(names.every((n) => n.length <= 47 && /^[A-Za-z0-9_-]+$/.test(n))).toBe(true);
  });

  it('routes a tool name two servers share to the server named in the prefix', async () => {
    const client = await connect(`${gw.url}/mcp`);
    expect(text(await client.callTool({ name: 'alpha__echo', arguments: { message: 'hi' } }))).toBe('alpha: hi');
    expect(text(await client.callTool({ name: 'beta__echo', arguments: { message: 'hi' } }))).toBe('beta: hi');
    expect(text(await client.callTool({ name: 'everything__echo', arguments: { message: 'hi' } }))).toBe('Echo: hi');
  });

  it('shortens a name that would be too long, reversibly, and reports it', async () => {
    const client = await connect(`${gw.url}/mcp`);
    const long = (await client.listTools()).tools.find((t) => t.name.startsWith('alpha__a_tool_with'));
    expect(long).toBeDefined();
    expect(long!.name.length).toBeLessThanOrEqual(47);
    expect(text(await client.callTool({ name: long!.name, arguments: {} }))).toBe('long name reached');
    const reported = gw.gateway.listTools().find((t) => t.server === 'alpha' && t.name.startsWith('a_tool_with'));
    expect(reported).toMatchObject({ shortened: true, exposedName: long!.name });
  });

  it('hides filtered tools and refuses calls to them without reaching the backend', async () => {
    const client = await connect(`${gw.url}/mcp`);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('alpha__delete_everything');
    expect(names).not.toContain('beta__delete_everything');
    const refused = await client.callTool({ name: 'beta__delete_everything', arguments: {} });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toBe('Tool "delete_everything" is disabled by the gateway\'s tool filter for server "beta"');
    await client.callTool({ name: 'beta__whoami', arguments: {} });
    const log = await callLog.read();
    expect(log).toContain('beta:whoami');
    expect(log).not.toContain('beta:delete_everything');
  });

  it('keeps serving when one server cannot start, and says why', () => {
    const servers = gw.gateway.listServers();
    const broken = servers.find((s) => s.name === 'broken')!;
    expect(broken.status).toBe('error');
    expect(broken.lastError).toMatch(/permission denied|exited|closed/i);
    const missing = servers.find((s) => s.name === 'missing')!;
    expect(missing.status).toBe('error');
    expect(missing.lastError).toMatch(/gatehouse-no-such-command-xyz.*not found/);
    expect(servers.find((s) => s.name === 'everything')!.status).toBe('running');
  });

  it('relays progress notifications of a long-running tool', async () => {
    const client = await connect(`${gw.url}/mcp`);
    const progress: number[] = [];
    await client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(progress).toEqual([1, 2, 3]);
  });

  it('relays sampling from a shared backend to the client that made the call', async () => {
    const client = await connect(`${gw.url}/mcp`, { capabilities: { sampling: {} } });
    const bystander = await connect(`${gw.url}/mcp`, { capabilities: { sampling: {} } });
    bystander.setRequestHandler('sampling/createMessage', async () => ({
      model: 'wrong-client',
      role: 'assistant',
      content: { type: 'text', text: 'the bystander answered' },
    }));
    client.setRequestHandler('sampling/createMessage', async (request) => ({
      model: 'test-model',
      role: 'assistant',
      content: { type: 'text', text: `sampled: ${JSON.stringify(request.params.messages[0]?.content)}` },
    }));
    const result = await client.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'hello', maxTokens: 5 } });
    expect(text(result)).toContain('test-model');
    expect(text(result)).not.toContain('bystander');
  });

  it('relays elicitation and roots requests to the client', async () => {
    const client = await connect(`${gw.url}/mcp`, {
      capabilities: { elicitation: { form: {} }, roots: { listChanged: true } },
    });
    client.setRequestHandler('elicitation/create', async () => ({
      action: 'accept',
      content: { name: 'Ada', check: true, email: 'ada@example.com', integer: 42 },
    }));
    client.setRequestHandler('roots/list', async () => ({ roots: [{ uri: 'file:///tmp/project-root', name: 'project' }] }));
    const elicited = await client.callTool({ name: 'everything__trigger-elicitation-request', arguments: {} });
    expect(text(elicited)).toMatch(/accept/i);
    const roots = await client.callTool({ name: 'everything__get-roots-list', arguments: {} });
    expect(text(roots)).toContain('file:///tmp/project-root');
  });

  it('keeps concurrent clients of one shared process apart', async () => {
    const [a, b] = await Promise.all([connect(`${gw.url}/mcp`), connect(`${gw.url}/mcp`)]);
    const calls = Array.from({ length: 20 }, (_, i) => {
      const client = i % 2 === 0 ? a : b;
      const who = i % 2 === 0 ? 'A' : 'B';
      return client
        .callTool({ name: 'everything__echo', arguments: { message: `${who}-${i}` } })
        .then((r) => ({ expected: `Echo: ${who}-${i}`, got: text(r) }));
    });
    for (const { expected, got } of await Promise.all(calls)) expect(got).toBe(expected);
  });

  it('tells clients when a backend changes its tools', async () => {
    const client = await connect(`${gw.url}/mcp`);
    let changed = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      changed += 1;
    });
    await client.callTool({ name: 'alpha__add_tool', arguments: {} });
    await expect.poll(() => changed, { timeout: 5000 }).toBeGreaterThan(0);
    await expect
      .poll(async () => (await client.listTools()).tools.map((t) => t.name), { timeout: 5000 })
      .toContain('alpha__extra_1');
    expect(text(await client.callTool({ name: 'alpha__extra_1', arguments: {} }))).toBe('extra_1');
  });

  it('serves prompts namespaced and resources by their own URIs', async () => {
    const client = await connect(`${gw.url}/mcp`);
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toContain('everything__simple-prompt');
    const prompt = await client.getPrompt({ name: 'everything__simple-prompt' });
    expect(prompt.messages.length).toBeGreaterThan(0);
    const templates = (await client.listResourceTemplates()).resourceTemplates;
    expect(templates.length).toBeGreaterThan(0);
    const resources = (await client.listResources()).resources;
    expect(resources.length).toBeGreaterThan(0);
    const read = await client.readResource({ uri: resources[0]!.uri });
    expect(read.contents[0]?.uri).toBe(resources[0]!.uri);
  });

  it('answers an unknown tool with an error naming it', async () => {
    const client = await connect(`${gw.url}/mcp`);
    await expect(client.callTool({ name: 'nobody__nothing', arguments: {} })).rejects.toThrow(/nobody__nothing not found/);
  });

  it('serves the same aggregate over legacy SSE', async () => {
    const client = await connect(`${gw.url}/sse`, { sse: true });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('alpha__whoami');
    expect(text(await client.callTool({ name: 'alpha__echo', arguments: { message: 'sse' } }))).toBe('alpha: sse');
  });

  it('tells connected clients when a server is added through the admin API', async () => {
    const client = await connect(`${gw.url}/mcp`);
    let changed = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      changed += 1;
    });
    const res = await gw.admin(`/admin/servers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'gamma', command: 'node', args: [FIXTURE_SERVER], env: { FIXTURE_LABEL: 'gamma' } }),
    });
    expect(res.status).toBe(201);
    await gw.approveServer('gamma');
    await expect.poll(() => changed, { timeout: 5000 }).toBeGreaterThan(0);
    expect(text(await client.callTool({ name: 'gamma__echo', arguments: { message: 'new' } }))).toBe('gamma: new');
    const removed = await gw.admin(`/admin/servers/gamma`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('gamma__echo');
  });

  it('applies a tool filter change from the admin API at once, without restarting the server', async () => {
    const client = await connect(`${gw.url}/mcp`);
    let changed = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      changed += 1;
    });
    const pidBefore = gw.gateway.serverView('alpha')!.pid;
    const res = await gw.admin(`/admin/servers/alpha`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        command: 'node',
        args: [FIXTURE_SERVER],
        env: { FIXTURE_LABEL: 'alpha', FIXTURE_CALL_LOG: callLog.path },
        toolFilter: { allow: ['echo'] },
      }),
    });
    expect(res.status).toBe(200);
    await expect.poll(() => changed, { timeout: 5000 }).toBeGreaterThan(0);
    const alphaTools = (await client.listTools()).tools.map((t) => t.name).filter((n) => n.startsWith('alpha__'));
    expect(alphaTools).toEqual(['alpha__echo']);
    expect(await client.callTool({ name: 'alpha__whoami', arguments: {} })).toMatchObject({ isError: true });
    expect(gw.gateway.serverView('alpha')!.pid).toBe(pidBefore);
  });
});
