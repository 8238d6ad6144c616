import { describe, expect, it } from 'vitest';
import {
  buildFilterRefusal,
  inspectClientPayload,
  INVALID_REQUEST,
  isJsonRpcId,
  RequestIdSet,
  rewriteToolsListText,
} from '../../../../../main/core/http/json-rpc-filter.js';
import type { JsonRpcId } from '../../../../../main/core/http/json-rpc-filter.js';

const DISABLED = new Set(['delete_repo', 'drop_table']);
const isToolAllowed = (name: string): boolean => !DISABLED.has(name);

const call = (id: JsonRpcId | undefined, name: unknown): Record<string, unknown> => ({
  jsonrpc: '2.0',
  ...(id === undefined ? {} : { id }),
  method: 'tools/call',
  params: { name, arguments: {} },
});
const list = (id?: JsonRpcId): Record<string, unknown> => ({ jsonrpc: '2.0', ...(id === undefined ? {} : { id }), method: 'tools/list' });

/** takeId over a RequestIdSet, as the pass-through wires it. */
const claims = (...ids: JsonRpcId[]): { take: (id: JsonRpcId) => boolean; pending: RequestIdSet } => {
  const pending = new RequestIdSet();
  for (const id of ids) pending.add(id);
  return { take: (id) => pending.delete(id), pending };
};

const toolsResponse = (id: JsonRpcId, names: string[]): Record<string, unknown> => ({
  jsonrpc: '2.0',
  id,
  result: { tools: names.map((name) => ({ name, inputSchema: { type: 'object' } })), nextCursor: 'c2' },
});

describe('inspectClientPayload', () => {
  it('reports a single call of a disabled tool and nothing for an allowed one', () => {
    expect(inspectClientPayload(call(1, 'delete_repo'), isToolAllowed)).toEqual({ unknownTools: [], blockedTools: ['delete_repo'], toolsListIds: [] });
    expect(inspectClientPayload(call(1, 'read_file'), isToolAllowed)).toEqual({ unknownTools: [], blockedTools: [], toolsListIds: [] });
  });

  it('asks the predicate with the tool name as sent', () => {
    const asked: string[] = [];
    inspectClientPayload([call(1, 'a'), call(2, 'b')], (name) => {
      asked.push(name);
      return true;
    });
    expect(asked).toEqual(['a', 'b']);
  });

  it('collects blocked calls and tools/list ids across a batch, in order', () => {
    const batch = [
      call(1, 'drop_table'),
      list(7),
      call(2, 'read_file'),
      list('seven'),
      call(3, 'delete_repo'),
      { jsonrpc: '2.0', id: 4, method: 'resources/list' },
    ];
    expect(inspectClientPayload(batch, isToolAllowed)).toEqual({ unknownTools: [], blockedTools: ['drop_table', 'delete_repo'], toolsListIds: [7, 'seven'] });
  });

  it('does not track a tools/list without a usable id (notification or null id)', () => {
    expect(inspectClientPayload([list(), { ...list(), id: null }], isToolAllowed).toolsListIds).toEqual([]);
  });

  it('reports a disabled tool even when the call is sent as a notification', () => {
    expect(inspectClientPayload(call(undefined, 'delete_repo'), isToolAllowed).blockedTools).toEqual(['delete_repo']);
  });

  it('ignores calls without a string tool name', () => {
    const payload = [call(1, 42), { jsonrpc: '2.0', id: 2, method: 'tools/call' }, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: 'x' }];
    expect(inspectClientPayload(payload, () => false)).toEqual({ unknownTools: [], blockedTools: [], toolsListIds: [] });
  });

  it('reports names the catalog does not have apart from filtered ones, whatever the filter says', () => {
    const catalog = new Set(['read_file', 'delete_repo']);
    const hasTool = (name: string): boolean => catalog.has(name);
    const batch = [call(1, 'DELETE_REPO'), call(2, 'delete_repo'), call(3, 'read_file '), call(4, 'read_file')];
    expect(inspectClientPayload(batch, isToolAllowed, hasTool)).toEqual({
      unknownTools: ['DELETE_REPO', 'read_file '],
      blockedTools: ['delete_repo'],
      toolsListIds: [],
    });
  });

  it('finds nothing in non-objects, empty batches and responses', () => {
    for (const payload of [null, undefined, 42, 'tools/call', [], [null, 1, 'x', [call(1, 'delete_repo')]], { jsonrpc: '2.0', id: 1, result: {} }]) {
      expect(inspectClientPayload(payload, () => false)).toEqual({ unknownTools: [], blockedTools: [], toolsListIds: [] });
    }
  });
});

describe('buildFilterRefusal', () => {
  it('answers a single blocked call with an MCP tool error carrying its id', () => {
    const refusal = buildFilterRefusal(call('req-9', 'delete_repo'), ['delete_repo'], 'github');
    expect(refusal).toEqual({
      jsonrpc: '2.0',
      id: 'req-9',
      result: {
        isError: true,
        content: [{ type: 'text', text: expect.stringContaining('delete_repo') as unknown }],
        _meta: { 'io.gatehouse/outcome': 'filtered' },
      },
    });
    expect(JSON.stringify(refusal)).toContain('github');
  });

  it('answers a batch with one response per request: tool errors for blocked calls, -32600 for the rest', () => {
    const batch = [
      call(1, 'delete_repo'),
      { jsonrpc: '2.0', method: 'notifications/progress', params: {} },
      call(2, 'read_file'),
      list('L'),
      call(3, 'drop_table'),
    ];
    const refusal = buildFilterRefusal(batch, ['delete_repo', 'drop_table'], 'github') as Array<Record<string, unknown>>;
    expect(refusal.map((r) => r.id)).toEqual([1, 2, 'L', 3]);
    expect(refusal[0]).toMatchObject({ result: { isError: true } });
    expect(refusal[3]).toMatchObject({ result: { isError: true } });
    for (const other of [refusal[1], refusal[2]]) {
      expect(other).toEqual({ jsonrpc: '2.0', id: expect.anything() as unknown, error: { code: -32600, message: expect.any(String) as unknown } });
      const message = (other as { error: { message: string } }).error.message;
      expect(message).toContain('"delete_repo"');
      expect(message).toContain('"drop_table"');
      expect(message).toContain('"github"');
    }
    expect(INVALID_REQUEST).toBe(-32600);
  });

  it('answers a call to a name the catalog does not have with "Invalid params", as the SDK does', () => {
    expect(buildFilterRefusal(call(4, 'Delete_Repo'), [], 'github', undefined, ['Delete_Repo'])).toEqual({
      jsonrpc: '2.0',
      id: 4,
      error: { code: -32602, message: 'Tool Delete_Repo not found' },
    });
    const batch = buildFilterRefusal([call(1, 'x\u0000'), call(2, 'read_file')], [], 'github', undefined, ['x\u0000']) as Array<{ error: { message: string } }>;
    expect(batch[1]!.error.message).toBe('Batch refused: "x\\u0000" is not a tool of server "github"');
  });

  it('answers a batch with an array even when it holds one request', () => {
    expect(buildFilterRefusal([call(5, 'delete_repo')], ['delete_repo'], 'github')).toEqual([
      expect.objectContaining({ id: 5, result: expect.objectContaining({ isError: true }) as unknown }),
    ]);
  });

  it('keeps 0 and the empty string as ids', () => {
    const refusal = buildFilterRefusal([call(0, 'delete_repo'), list('')], ['delete_repo'], 's') as Array<{ id: unknown }>;
    expect(refusal.map((r) => r.id)).toEqual([0, '']);
  });

  it('returns undefined when nothing in the payload expects an answer', () => {
    expect(buildFilterRefusal(call(undefined, 'delete_repo'), ['delete_repo'], 's')).toBeUndefined();
    expect(buildFilterRefusal([call(undefined, 'delete_repo'), { jsonrpc: '2.0', method: 'notifications/initialized' }], ['delete_repo'], 's')).toBeUndefined();
    expect(buildFilterRefusal([{ ...call(1, 'delete_repo'), id: null }], ['delete_repo'], 's')).toBeUndefined();
    expect(buildFilterRefusal([{ jsonrpc: '2.0', id: 1, result: {} }, null, 3], ['delete_repo'], 's')).toBeUndefined();
  });
});

describe('rewriteToolsListText', () => {
  it('trims disabled tools from the tracked response and keeps the rest of it', () => {
    const { take, pending } = claims(1);
    const out = rewriteToolsListText(JSON.stringify(toolsResponse(1, ['read_file', 'delete_repo', 'list_dir'])), take, isToolAllowed);
    expect(JSON.parse(out ?? 'null')).toEqual(toolsResponse(1, ['read_file', 'list_dir']));
    expect(pending.size).toBe(0);
  });

  it('leaves a response with an untracked id alone, even if it lists disabled tools', () => {
    const { take, pending } = claims(2);
    expect(rewriteToolsListText(JSON.stringify(toolsResponse(1, ['delete_repo'])), take, isToolAllowed)).toBeUndefined();
    expect(pending.size).toBe(1);
  });

  it('matches ids by type: a tracked "1" does not claim the response to 1', () => {
    const { take, pending } = claims('1');
    expect(rewriteToolsListText(JSON.stringify(toolsResponse(1, ['delete_repo'])), take, isToolAllowed)).toBeUndefined();
    expect(JSON.parse(rewriteToolsListText(JSON.stringify(toolsResponse('1', ['delete_repo'])), take, isToolAllowed) ?? 'null')).toEqual(
      toolsResponse('1', []),
    );
    expect(pending.size).toBe(0);
  });

  it('trims only the tracked responses of a batch', () => {
    const { take } = claims(1, 3);
    const batch = [
      toolsResponse(1, ['delete_repo', 'read_file']),
      toolsResponse(2, ['delete_repo']),
      toolsResponse(3, ['drop_table']),
      { jsonrpc: '2.0', id: 4, result: { content: [] } },
    ];
    expect(JSON.parse(rewriteToolsListText(JSON.stringify(batch), take, isToolAllowed) ?? 'null')).toEqual([
      toolsResponse(1, ['read_file']),
      toolsResponse(2, ['delete_repo']),
      toolsResponse(3, []),
      { jsonrpc: '2.0', id: 4, result: { content: [] } },
    ]);
  });

  it('matches each tracked id once', () => {
    const { take } = claims(1);
    const text = JSON.stringify(toolsResponse(1, ['delete_repo']));
    expect(rewriteToolsListText(text, take, isToolAllowed)).toBeDefined();
    expect(rewriteToolsListText(text, take, isToolAllowed)).toBeUndefined();
  });

  it('returns undefined when every tool is allowed, still claiming the id', () => {
    const { take, pending } = claims(1);
    expect(rewriteToolsListText(JSON.stringify(toolsResponse(1, ['read_file'])), take, isToolAllowed)).toBeUndefined();
    expect(pending.size).toBe(0);
  });

  it('never touches a server-to-client request that reuses a tracked id', () => {
    const { take, pending } = claims(1);
    const request = { jsonrpc: '2.0', id: 1, method: 'sampling/createMessage', result: { tools: [{ name: 'delete_repo' }] } };
    expect(rewriteToolsListText(JSON.stringify(request), take, isToolAllowed)).toBeUndefined();
    expect(pending.size).toBe(1);
  });

  it('drops malformed tool entries from a tracked list', () => {
    const { take } = claims(1);
    const response = { jsonrpc: '2.0', id: 1, result: { tools: [{ name: 'read_file' }, { name: 7 }, null, 'list_dir'] } };
    expect(JSON.parse(rewriteToolsListText(JSON.stringify(response), take, isToolAllowed) ?? 'null')).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { tools: [{ name: 'read_file' }] },
    });
  });

  it('returns undefined for text that is not JSON, and for error responses', () => {
    const { take } = claims(1);
    expect(rewriteToolsListText('{"jsonrpc":"2.0","id":1,"result":{"tools":[', take, isToolAllowed)).toBeUndefined();
    expect(rewriteToolsListText('', take, isToolAllowed)).toBeUndefined();
    expect(rewriteToolsListText('{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no"}}', take, isToolAllowed)).toBeUndefined();
  });
});

describe('RequestIdSet', () => {
  it('keeps 1 and "1" apart', () => {
    const ids = new RequestIdSet();
    ids.add(1);
    expect(ids.delete('1')).toBe(false);
    expect(ids.delete(1)).toBe(true);
    expect(ids.delete(1)).toBe(false);
    ids.add('n:1');
    expect(ids.delete(1)).toBe(false);
    expect(ids.size).toBe(1);
  });

  it('forgets the oldest id past its limit', () => {
    const ids = new RequestIdSet(2);
    ids.add(1);
    ids.add('b');
    ids.add(3);
    expect(ids.size).toBe(2);
    expect(ids.delete(1)).toBe(false);
    expect(ids.delete('b')).toBe(true);
    expect(ids.delete(3)).toBe(true);
  });

  it('stays bounded by its default limit of 1024', () => {
    const ids = new RequestIdSet();
    for (let i = 0; i < 5000; i++) ids.add(i);
    expect(ids.size).toBe(1024);
    expect(ids.delete(4999 - 1024)).toBe(false);
    expect(ids.delete(4999 - 1023)).toBe(true);
  });
});

describe('isJsonRpcId', () => {
  it('accepts strings and numbers only', () => {
    expect([1, 0, 'a', ''].every(isJsonRpcId)).toBe(true);
    expect([null, undefined, {}, [], true].some(isJsonRpcId)).toBe(false);
  });
});
