import { describe, expect, it } from 'vitest';
import { requestCost } from '../../../../../main/core/http/mcp-admission.js';

describe('requestCost', () => {
  it('counts requests, not ping, notifications or answers', () => {
    expect(requestCost({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: {} })).toBe(1);
    expect(requestCost({ jsonrpc: '2.0', id: 0, method: 'initialize' })).toBe(1);
    expect(requestCost({ jsonrpc: '2.0', id: 2, method: 'ping' })).toBe(0);
    expect(requestCost({ jsonrpc: '2.0', method: 'notifications/initialized' })).toBe(0);
    expect(requestCost({ jsonrpc: '2.0', id: 'srv-1', result: {} })).toBe(0);
    expect(requestCost({ jsonrpc: '2.0', id: 'srv-2', error: { code: -1, message: 'no' } })).toBe(0);
  });

  it('counts each request of a batch', () => {
    const batch = [
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { jsonrpc: '2.0', id: 2, method: 'ping' },
      { jsonrpc: '2.0', method: 'notifications/cancelled' },
      { jsonrpc: '2.0', id: 3, method: 'tools/call' },
      null,
      42,
    ];
    expect(requestCost(batch)).toBe(2);
  });
});
