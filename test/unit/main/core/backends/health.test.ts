import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import { describe, expect, it, vi } from 'vitest';
import { HealthMonitor } from '../../../../../main/core/backends/health.js';
import { IdleWatch } from '../../../../../main/core/backends/idle.js';
import { FakeClock } from './fake-clock.js';

function monitor(clock: FakeClock, ping: () => Promise<unknown>) {
  const events: string[] = [];
  const health = new HealthMonitor({
    intervalMs: 30_000,
    timeoutMs: 5_000,
    maxMisses: 2,
    clock,
    ping,
    onMiss: (n, reason) => events.push(`miss ${n}: ${reason}`),
    onRecovered: () => events.push('recovered'),
    onUnhealthy: (reason) => events.push(`unhealthy: ${reason}`),
  });
  return { health, events };
}

describe('HealthMonitor', () => {
  it('pings once per interval and stays quiet while answered', async () => {
    const clock = new FakeClock();
    const ping = vi.fn(async () => ({}));
    const { health, events } = monitor(clock, ping);
    health.start();
    await clock.advance(29_999);
    expect(ping).toHaveBeenCalledTimes(0);
    await clock.advance(1);
    expect(ping).toHaveBeenCalledTimes(1);
    await clock.advance(90_000);
    expect(ping).toHaveBeenCalledTimes(4);
    expect(events).toEqual([]);
    health.stop();
    expect(clock.pending).toBe(0);
  });

  it('a ping that never answers is a miss after the timeout; two in a row are unhealthy, then it stops', async () => {
    const clock = new FakeClock();
    const { health, events } = monitor(clock, () => new Promise(() => {}));
    health.start();
    await clock.advance(30_000 + 5_000);
    expect(events).toEqual(['miss 1: did not answer ping within 5000 ms']);
    await clock.advance(30_000 + 5_000);
    expect(events).toEqual([
      'miss 1: did not answer ping within 5000 ms',
      'unhealthy: did not answer ping within 5000 ms (2 in a row)',
    ]);
    expect(clock.pending).toBe(0);
  });

  it('a rejected ping is a miss too; an answer afterwards recovers', async () => {
    const clock = new FakeClock();
    let fail = true;
    const { health, events } = monitor(clock, async () => {
      if (fail) throw new Error('Connection closed');
      return {};
    });
    health.start();
    await clock.advance(30_000);
    fail = false;
    await clock.advance(30_000);
    expect(events).toEqual(['miss 1: ping failed: Connection closed', 'recovered']);
    health.stop();
  });
});

function fakeTransport(): Transport & { delivered: JSONRPCMessage[] } {
  const transport = {
    delivered: [] as JSONRPCMessage[],
    onmessage: undefined as Transport['onmessage'],
    async start() {},
    async close() {},
    async send() {},
  };
  return transport as unknown as Transport & { delivered: JSONRPCMessage[] };
}

describe('IdleWatch', () => {
  it('fires once after the idle time without traffic', async () => {
    const clock = new FakeClock();
    const onIdle = vi.fn();
    const idle = new IdleWatch(clock, 60_000, onIdle);
    idle.arm();
    await clock.advance(59_999);
    expect(onIdle).not.toHaveBeenCalled();
    await clock.advance(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
    await clock.advance(600_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('traffic on an observed transport pushes the deadline; an unanswered request holds it off', async () => {
    const clock = new FakeClock();
    const onIdle = vi.fn();
    const idle = new IdleWatch(clock, 60_000, onIdle);
    const transport = fakeTransport();
    idle.observe(transport);
    const received: JSONRPCMessage[] = [];
    transport.onmessage = (m) => received.push(m); // set after observe, as Protocol.connect does
    idle.arm();

    await clock.advance(50_000);
    await transport.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow' } });
    expect(idle.inFlight).toBe(1);
    await clock.advance(300_000); // a long call is not idleness
    expect(onIdle).not.toHaveBeenCalled();

    transport.onmessage?.({ jsonrpc: '2.0', id: 1, result: {} });
    expect(received).toHaveLength(1);
    expect(idle.inFlight).toBe(0);
    await clock.advance(59_000);
    expect(onIdle).not.toHaveBeenCalled();
    await clock.advance(1_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('a cancelled request or a closed transport no longer counts as in flight', async () => {
    const clock = new FakeClock();
    const idle = new IdleWatch(clock, 60_000, () => {});
    const a = fakeTransport();
    const b = fakeTransport();
    idle.observe(a);
    idle.observe(b);
    await a.send({ jsonrpc: '2.0', id: 7, method: 'tools/call' });
    await b.send({ jsonrpc: '2.0', id: 7, method: 'tools/call' });
    expect(idle.inFlight).toBe(2);
    await a.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7 } });
    idle.forget(b);
    expect(idle.inFlight).toBe(0);
  });
});
