import type { ServerContext } from '@modelcontextprotocol/server';
import { describe, expect, it, vi } from 'vitest';
import { PendingCall } from '../../../../../main/core/routing/pending-call.js';

/** A front request's context that records the notifications sent on its stream. */
function fakeCtx(): { ctx: ServerContext; sent: unknown[] } {
  const sent: unknown[] = [];
  const ctx = { mcpReq: { notify: async (n: unknown) => void sent.push(n) } } as unknown as ServerContext;
  return { ctx, sent };
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('PendingCall', () => {
  it('hands back what the backend asks, then the answers, over several rounds', async () => {
    const first = fakeCtx();
    const call = new PendingCall('tok-1', 'everything', 'tools/call', first.ctx, undefined);
    const upstream = deferred<{ content: unknown[] }>();
    call.run(upstream.promise);

    const sampled = call.ask({ method: 'sampling/createMessage', params: { maxTokens: 5 } });
    const round1 = await call.next(new AbortController().signal);
    expect(round1).toEqual({
      kind: 'input',
      asks: [{ key: 'everything-input-1', method: 'sampling/createMessage', params: { maxTokens: 5 } }],
    });

    // The retry answers the first ask; the backend then asks again.
    call.park(60_000, () => {});
    call.resume(fakeCtx().ctx, undefined, { 'everything-input-1': { role: 'assistant', content: { type: 'text', text: 'ok' } } });
    await expect(sampled).resolves.toMatchObject({ role: 'assistant' });
    const roots = call.ask({ method: 'roots/list' });
    const round2 = await call.next(new AbortController().signal);
    expect(round2).toMatchObject({ kind: 'input', asks: [{ key: 'everything-input-2', method: 'roots/list' }] });

    call.resume(fakeCtx().ctx, undefined, { 'everything-input-2': { roots: [] } });
    await expect(roots).resolves.toEqual({ roots: [] });
    upstream.resolve({ content: [] });
    await expect(call.next(new AbortController().signal)).resolves.toEqual({ kind: 'done', result: { content: [] } });
  });

  it('asks again what a retry left unanswered', async () => {
    const call = new PendingCall('tok-1', 's', 'tools/call', fakeCtx().ctx, undefined);
    call.run(new Promise(() => {}));
    void call.ask({ method: 'elicitation/create', params: {} });
    await call.next(new AbortController().signal);
    call.resume(fakeCtx().ctx, undefined, {});
    await expect(call.next(new AbortController().signal)).resolves.toMatchObject({ kind: 'input', asks: [{ key: 's-input-1' }] });
  });

  it('relays progress on the current round with its token, and waits for it before answering', async () => {
    const { ctx, sent } = fakeCtx();
    const call = new PendingCall('tok-1', 's', 'tools/call', ctx, 'tok');
    const upstream = deferred<{ content: unknown[] }>();
    call.run(upstream.promise);
    call.progress({ progress: 1, total: 2 });
    upstream.resolve({ content: [] });
    await call.next(new AbortController().signal);
    expect(sent).toEqual([{ method: 'notifications/progress', params: { progress: 1, total: 2, progressToken: 'tok' } }]);
  });

  it('abandons the upstream call and its asks when the client cancels the round', async () => {
    const call = new PendingCall('tok-1', 's', 'tools/call', fakeCtx().ctx, undefined);
    call.run(new Promise(() => {}));
    const asked = call.ask({ method: 'sampling/createMessage', params: {} });
    asked.catch(() => {}); // rejected by the abort, checked below
    await call.next(new AbortController().signal);
    const round = new AbortController();
    call.resume(fakeCtx().ctx, undefined, {});
    const waiting = call.next(round.signal);
    round.abort();
    expect(call.signal.aborted).toBe(true);
    await expect(asked).rejects.toThrow(/cancelled/);
    void waiting;
  });

  it('gives up a parked call when the client never comes back', async () => {
    vi.useFakeTimers();
    try {
      const call = new PendingCall('tok-1', 's', 'tools/call', fakeCtx().ctx, undefined);
      call.run(new Promise(() => {}));
      const asked = call.ask({ method: 'sampling/createMessage', params: {} });
      asked.catch(() => {}); // rejected during the timer advance, checked below
      await call.next(new AbortController().signal);
      const expired = vi.fn(() => call.abandon('the client did not answer'));
      call.park(1000, expired);
      await vi.advanceTimersByTimeAsync(1001);
      expect(expired).toHaveBeenCalledOnce();
      expect(call.signal.aborted).toBe(true);
      await expect(asked).rejects.toThrow(/did not answer/);
    } finally {
      vi.useRealTimers();
    }
  });
});
