import { describe, expect, it } from 'vitest';
import { ControlApiError, type AuditEvent, type AuditFilter, type ControlApi, type ServerView } from '../../../../shared/control-api.js';
import { CONTROL_CALLS, type SubscriptionMessage } from '../../../../shared/control-ipc.js';
import { createControlIpc, type ControlIpc, type SubscriptionSender } from '../../../../main/electron/ipc-handlers.js';
import { isTrustedSender } from '../../../../main/electron/window-policy.js';
import { serverView } from './server-view.js';

const TRUSTED = 'app://gatehouse/index.html';
const EVIL = 'https://evil.example/';

interface AuditStream {
  filter: AuditFilter;
  emit(event: AuditEvent): void;
  fail(error: ControlApiError): void;
  stopped: boolean;
}

/**
 * A ControlApi that records every call and answers `answers[method]` (a value, or a function
 * that may throw). Audit streams and server watchers are kept so tests can drive them.
 */
function fakeApi(answers: Record<string, unknown> = {}) {
  const calls: Array<{ method: string; args: unknown[] }> = [];
  const streams: AuditStream[] = [];
  const watchers: Array<{ listener: (s: ServerView[]) => void; stopped: boolean }> = [];
  const api = Object.fromEntries(
    CONTROL_CALLS.map((method) => [
      method,
      async (...args: unknown[]) => {
        calls.push({ method, args });
        const answer = answers[method];
        return typeof answer === 'function' ? (answer as (...a: unknown[]) => unknown)(...args) : answer;
      },
    ]),
  ) as unknown as ControlApi;
  api.gatewayUrl = () => 'http://127.0.0.1:7420';
  api.streamAudit = (filter, onEvent, onError) => {
    calls.push({ method: 'streamAudit', args: [filter] });
    const stream: AuditStream = { filter, emit: onEvent, fail: (e) => onError?.(e), stopped: false };
    streams.push(stream);
    return () => void (stream.stopped = true);
  };
  const watchServers = (listener: (s: ServerView[]) => void): (() => void) => {
    const watcher = { listener, stopped: false };
    watchers.push(watcher);
    return () => void (watcher.stopped = true);
  };
  return { api, calls, streams, watchers, watchServers };
}

function setup(answers: Record<string, unknown> = {}) {
  const fake = fakeApi(answers);
  const logged: Array<{ message: string; fields?: object }> = [];
  const ipc = createControlIpc({
    api: fake.api,
    isTrustedSender,
    watchServers: fake.watchServers,
    log: (message, fields) => logged.push({ message, ...(fields ? { fields } : {}) }),
  });
  return { ...fake, ipc, logged };
}

/** A window that records what it receives. */
function windowSender(key = 1): SubscriptionSender & { received: Array<[number, SubscriptionMessage]> } {
  const received: Array<[number, SubscriptionMessage]> = [];
  return { key, received, send: (id, message) => void received.push([id, message]) };
}

const auditEvent = (id: string): AuditEvent => ({ time: 1, id, kind: 'request', method: 'tools/call' });

describe('createControlIpc: calls', () => {
  it('passes a trusted call to the API and answers its value', async () => {
    const { ipc, calls } = setup({ getServer: serverView('memory') });
    expect(await ipc.handleCall(TRUSTED, 'getServer', ['memory'])).toEqual({ ok: true, value: serverView('memory') });
    expect(calls).toEqual([{ method: 'getServer', args: ['memory'] }]);
  });

  it('never lets an untrusted frame’s call reach the API', async () => {
    const { ipc, calls, logged } = setup();
    for (const url of [EVIL, undefined, 'file:///x.html', 'about:blank', 'app://other/index.html']) {
      const result = await ipc.handleCall(url, 'setSecret', ['github-token', 'stolen?']);
      expect(result).toMatchObject({ ok: false, error: { status: 403 } });
    }
    expect(calls).toEqual([]);
    expect(logged).toHaveLength(5);
    // The secret value never lands in the log.
    expect(JSON.stringify(logged)).not.toContain('stolen?');
  });

  it('refuses a method that is not a control call, naming it', async () => {
    const { ipc, calls } = setup();
    for (const method of ['dropDatabase', 'streamAudit', 'gatewayUrl', 'constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const result = await ipc.handleCall(TRUSTED, method, []);
      expect(result).toEqual({ ok: false, error: { status: 400, message: `unknown control method "${method}"`, details: [] } });
    }
    expect(await ipc.handleCall(TRUSTED, 42, [])).toMatchObject({ ok: false, error: { status: 400, message: 'unknown control method number' } });
    expect(calls).toEqual([]);
  });

  it('refuses arguments that are not an array', async () => {
    const { ipc, calls } = setup();
    for (const args of [undefined, null, 'memory', { 0: 'memory', length: 1 }]) {
      expect(await ipc.handleCall(TRUSTED, 'getServer', args)).toMatchObject({ ok: false, error: { status: 400 } });
    }
    expect(calls).toEqual([]);
  });

  it('turns the API’s failure into a result with its status and details', async () => {
    const { ipc } = setup({
      addServer: () => Promise.reject(new ControlApiError(409, 'server "memory" exists', ['pick another name'])),
      removeServer: () => Promise.reject(new Error('disk full')),
      listTools: () => {
        throw new TypeError('boom');
      },
    });
    expect(await ipc.handleCall(TRUSTED, 'addServer', ['memory', {}])).toEqual({
      ok: false,
      error: { status: 409, message: 'server "memory" exists', details: ['pick another name'] },
    });
    expect(await ipc.handleCall(TRUSTED, 'removeServer', ['x'])).toEqual({ ok: false, error: { status: 500, message: 'disk full', details: [] } });
    expect(await ipc.handleCall(TRUSTED, 'listTools', [])).toMatchObject({ ok: false, error: { status: 500, message: 'boom' } });
  });

  it('calls the method on the API object itself (class-based APIs keep their state)', async () => {
    const { ipc, api } = setup();
    let self: unknown;
    api.listServers = function (this: unknown) {
      self = this;
      return Promise.resolve([]);
    };
    await ipc.handleCall(TRUSTED, 'listServers', []);
    expect(self).toBe(api);
  });
});

describe('createControlIpc: subscriptions', () => {
  it('forwards live audit events with the filter, and the stream’s end', () => {
    const { ipc, streams } = setup();
    const win = windowSender();
    ipc.subscribe(win, TRUSTED, 7, 'audit', { server: 'memory', outcome: 'denied' });
    expect(streams.map((s) => s.filter)).toEqual([{ server: 'memory', outcome: 'denied' }]);
    streams[0]!.emit(auditEvent('e1'));
    streams[0]!.fail(new ControlApiError(0, 'audit stream ended'));
    streams[0]!.emit(auditEvent('e2'));
    expect(win.received).toEqual([
      [7, { type: 'event', payload: auditEvent('e1') }],
      [7, { type: 'error', error: { status: 0, message: 'audit stream ended', details: [] } }],
    ]);
  });

  it('streams every audit event when no filter is given', () => {
    const { ipc, streams } = setup();
    ipc.subscribe(windowSender(), TRUSTED, 1, 'audit', undefined);
    expect(streams[0]!.filter).toEqual({});
  });

  it('forwards server status changes', () => {
    const { ipc, watchers } = setup();
    const win = windowSender();
    ipc.subscribe(win, TRUSTED, 3, 'servers', undefined);
    watchers[0]!.listener([serverView('memory', { status: 'error' })]);
    expect(win.received).toEqual([[3, { type: 'event', payload: [serverView('memory', { status: 'error' })] }]]);
  });

  it('gives an untrusted frame nothing and starts nothing', () => {
    const { ipc, streams, watchers, logged } = setup();
    const win = windowSender();
    ipc.subscribe(win, EVIL, 1, 'audit', {});
    ipc.subscribe(win, undefined, 2, 'servers', undefined);
    expect([streams.length, watchers.length, win.received.length]).toEqual([0, 0, 0]);
    expect(logged).toHaveLength(2);
  });

  it('ignores a subscription without a positive integer id', () => {
    const { ipc, streams, watchers } = setup();
    const win = windowSender();
    for (const id of [0, -1, 1.5, Number.NaN, '1', null, undefined]) ipc.subscribe(win, TRUSTED, id, 'servers', undefined);
    expect([streams.length, watchers.length, win.received.length]).toEqual([0, 0, 0]);
  });

  it('answers an unknown topic or a bad filter with a 400 under the id, and starts nothing', () => {
    const { ipc, streams, watchers } = setup();
    const win = windowSender();
    ipc.subscribe(win, TRUSTED, 1, 'secrets', undefined);
    ipc.subscribe(win, TRUSTED, 2, 'audit', 'server=memory');
    ipc.subscribe(win, TRUSTED, 3, 'audit', { server: 42 });
    expect([streams.length, watchers.length]).toEqual([0, 0]);
    expect(win.received.map(([id, m]) => [id, m.type === 'error' && m.error.status])).toEqual([
      [1, 400],
      [2, 400],
      [3, 400],
    ]);
  });

  it('passes only known filter fields on', () => {
    const { ipc, streams } = setup();
    ipc.subscribe(windowSender(), TRUSTED, 1, 'audit', { q: 'read', limit: 10_000, token: 'x' });
    expect(streams[0]!.filter).toEqual({ q: 'read' });
  });

  it('replaces a subscription subscribed again under the same id; the old one falls silent', () => {
    const { ipc, streams } = setup();
    const win = windowSender();
    ipc.subscribe(win, TRUSTED, 1, 'audit', { server: 'a' });
    ipc.subscribe(win, TRUSTED, 1, 'audit', { server: 'b' });
    expect(streams.map((s) => s.stopped)).toEqual([true, false]);
    streams[0]!.emit(auditEvent('late'));
    streams[1]!.emit(auditEvent('new'));
    expect(win.received).toEqual([[1, { type: 'event', payload: auditEvent('new') }]]);
  });

  it('keeps two windows’ subscriptions with the same id apart', () => {
    const { ipc, streams } = setup();
    const [one, two] = [windowSender(1), windowSender(2)];
    ipc.subscribe(one, TRUSTED, 1, 'audit', {});
    ipc.subscribe(two, TRUSTED, 1, 'audit', {});
    expect(streams.map((s) => s.stopped)).toEqual([false, false]);
    streams[1]!.emit(auditEvent('for-two'));
    expect([one.received.length, two.received.length]).toEqual([0, 1]);
  });

  it('stops the source on unsubscribe', () => {
    const { ipc, streams, watchers } = setup();
    const win = windowSender();
    ipc.subscribe(win, TRUSTED, 1, 'audit', {});
    ipc.subscribe(win, TRUSTED, 2, 'servers', undefined);
    ipc.unsubscribe(win.key, 1);
    expect([streams[0]!.stopped, watchers[0]!.stopped]).toEqual([true, false]);
    ipc.unsubscribe(win.key, 2);
    expect(watchers[0]!.stopped).toBe(true);
  });

  it('ends every subscription of a closed window, and only those', () => {
    const { ipc, streams, watchers } = setup();
    ipc.subscribe(windowSender(1), TRUSTED, 1, 'audit', {});
    ipc.subscribe(windowSender(1), TRUSTED, 2, 'servers', undefined);
    ipc.subscribe(windowSender(2), TRUSTED, 1, 'audit', {});
    ipc.dropSender(1);
    expect([streams[0]!.stopped, watchers[0]!.stopped, streams[1]!.stopped]).toEqual([true, true, false]);
  });

  it('ends everything on dispose and refuses new subscriptions after it', () => {
    const { ipc, streams, watchers } = setup();
    ipc.subscribe(windowSender(1), TRUSTED, 1, 'audit', {});
    ipc.subscribe(windowSender(2), TRUSTED, 1, 'servers', undefined);
    ipc.dispose();
    expect([streams[0]!.stopped, watchers[0]!.stopped]).toEqual([true, true]);
    ipc.subscribe(windowSender(3), TRUSTED, 1, 'servers', undefined);
    expect(watchers).toHaveLength(1);
  });

  it('reports a stream that fails while starting (gateway stopped) once, under its id', () => {
    const { ipc, api } = setup();
    let stopped = 0;
    api.streamAudit = (_filter, _onEvent, onError) => {
      onError?.(new ControlApiError(503, 'The gateway is stopped'));
      return () => void stopped++;
    };
    const win = windowSender();
    ipc.subscribe(win, TRUSTED, 4, 'audit', {});
    expect(win.received).toEqual([[4, { type: 'error', error: { status: 503, message: 'The gateway is stopped', details: [] } }]]);
    ipc.dispose();
    expect(stopped).toBe(1);
  });

  it('sends the servers a watcher reports at once, while subscribing', () => {
    const ipc: ControlIpc = createControlIpc({
      api: fakeApi().api,
      isTrustedSender,
      watchServers: (listener) => {
        listener([serverView('now')]);
        return () => undefined;
      },
    });
    const win = windowSender();
    ipc.subscribe(win, TRUSTED, 1, 'servers', undefined);
    expect(win.received).toEqual([[1, { type: 'event', payload: [serverView('now')] }]]);
  });
});
