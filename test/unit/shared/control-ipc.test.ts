/**
 * The control API as the desktop window gets it: the renderer's adapter over the preload's
 * bridge, wired here straight to the main process's IPC handlers (what Electron's IPC does in
 * between is carry plain data). Failures must arrive with their status, events in order, and an
 * unsubscribe must stop them.
 */
import { describe, expect, it } from 'vitest';
import { ControlApiError, type AuditEvent, type ControlApi, type ServerView } from '../../../shared/control-api.js';
import { createBridgeControlApi, type ControlBridge, type SubscriptionMessage } from '../../../shared/control-ipc.js';
import { createControlIpc } from '../../../main/electron/ipc-handlers.js';
import { APP_ENTRY_URL, isTrustedSender } from '../../../main/electron/window-policy.js';

function wire(api: Partial<ControlApi>, watchServers: (l: (s: ServerView[]) => void) => () => void = () => () => undefined): ControlApi {
  const ipc = createControlIpc({ api: api as ControlApi, isTrustedSender, watchServers });
  const listeners = new Map<number, (m: SubscriptionMessage) => void>();
  let next = 1;
  const sender = { key: 1, send: (id: number, message: SubscriptionMessage) => listeners.get(id)?.(structuredClone(message)) };
  const bridge: ControlBridge = {
    gatewayUrl: 'http://127.0.0.1:7420',
    // structuredClone: what crosses IPC is a copy of plain data, never an Error instance.
    invoke: async (method, args) => structuredClone(await ipc.handleCall(APP_ENTRY_URL, method, structuredClone(args))),
    subscribe(topic, filter, listener) {
      const id = next++;
      listeners.set(id, listener);
      ipc.subscribe(sender, APP_ENTRY_URL, id, topic, filter);
      return () => {
        listeners.delete(id);
        ipc.unsubscribe(sender.key, id);
      };
    },
  };
  return createBridgeControlApi(bridge);
}

describe('control API over the desktop bridge', () => {
  it('answers calls with their values and passes the arguments through', async () => {
    const seen: unknown[] = [];
    const api = wire({
      startServer: async (name) => {
        seen.push(name);
        return { name, status: 'running' } as ServerView;
      },
    });
    expect(await api.startServer('memory')).toMatchObject({ name: 'memory', status: 'running' });
    expect(seen).toEqual(['memory']);
    expect(api.gatewayUrl()).toBe('http://127.0.0.1:7420');
  });

  it('carries the tool calls, filtered figures and client installs of the newer screens', async () => {
    const seen: unknown[][] = [];
    const record = (name: string) => async (...args: unknown[]) => (seen.push([name, ...args]), { ok: true, name });
    const api = wire({
      callTool: record('callTool') as unknown as ControlApi['callTool'],
      stats: record('stats') as unknown as ControlApi['stats'],
      clientInstallStatus: record('clientInstallStatus') as unknown as ControlApi['clientInstallStatus'],
      previewClientChange: record('previewClientChange') as unknown as ControlApi['previewClientChange'],
      installClient: record('installClient') as unknown as ControlApi['installClient'],
      removeClient: record('removeClient') as unknown as ControlApi['removeClient'],
    });
    await api.callTool({ server: 's', tool: 't', arguments: { a: 1 } });
    await api.stats({ since: '1h' });
    await api.clientInstallStatus('cursor', 'memory');
    await api.previewClientChange('cursor', { action: 'install' });
    await api.installClient('cursor', { force: true, fingerprint: 'f' });
    await api.removeClient('cursor', {});
    expect(seen).toEqual([
      ['callTool', { server: 's', tool: 't', arguments: { a: 1 } }],
      ['stats', { since: '1h' }],
      ['clientInstallStatus', 'cursor', 'memory'],
      ['previewClientChange', 'cursor', { action: 'install' }],
      ['installClient', 'cursor', { force: true, fingerprint: 'f' }],
      ['removeClient', 'cursor', {}],
    ]);
  });

  it('turns a failure back into a ControlApiError with its status and details', async () => {
    const api = wire({
      addServer: async () => {
        throw new ControlApiError(400, 'server "x" is invalid', ['command: required']);
      },
    });
    const error = await api.addServer('x', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlApiError);
    expect(error).toMatchObject({ status: 400, message: 'server "x" is invalid', details: ['command: required'] });
  });

  it('delivers audit events until unsubscribed, and reports the end of the stream', async () => {
    let emit: ((e: AuditEvent) => void) | undefined;
    let fail: ((e: ControlApiError) => void) | undefined;
    let stopped = 0;
    const api = wire({
      streamAudit: (_filter, onEvent, onError) => {
        emit = onEvent;
        fail = onError;
        return () => void stopped++;
      },
    });
    const got: string[] = [];
    const errors: ControlApiError[] = [];
    const stop = api.streamAudit({ server: 'memory' }, (e) => got.push(e.id), (e) => errors.push(e));
    emit!({ id: 'a', time: 1, kind: 'request' });
    emit!({ id: 'b', time: 2, kind: 'request' });
    expect(got).toEqual(['a', 'b']);
    fail!(new ControlApiError(0, 'audit stream ended'));
    expect(errors.map((e) => [e.status, e.message])).toEqual([[0, 'audit stream ended']]);

    const again = api.streamAudit({}, (e) => got.push(e.id));
    again();
    expect(stopped).toBeGreaterThanOrEqual(1);
    emit!({ id: 'c', time: 3, kind: 'request' });
    expect(got).toEqual(['a', 'b']);
    stop();
  });

  it('pushes server status to watchServers', () => {
    let push: ((s: ServerView[]) => void) | undefined;
    const api = wire({}, (listener) => {
      push = listener;
      return () => (push = undefined);
    });
    const seen: string[][] = [];
    const stop = api.watchServers!((servers) => seen.push(servers.map((s) => `${s.name}:${s.status}`)));
    push!([{ name: 'memory', status: 'stopped' } as ServerView]);
    expect(seen).toEqual([['memory:stopped']]);
    stop();
    expect(push).toBeUndefined();
  });
});
