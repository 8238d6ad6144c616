/**
 * The preload of the Gatehouse window. It exposes exactly one object, `window.gateway`: the
 * typed {@link ControlApi} from `shared/`, over IPC. Nothing of Node or Electron crosses.
 *
 * Calls go through `ipcRenderer.invoke` and come back as Result values (errors lose their class
 * across IPC); subscriptions are a subscribe/unsubscribe pair of messages tagged with an id.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { AuditEvent, AuditFilter, ControlApi, ServerView, Unsubscribe } from '../shared/control-api.js';
import {
  CONTROL_CALLS,
  GATEWAY_URL_SWITCH,
  IPC_CHANNELS,
  fromIpcError,
  unwrapIpcResult,
  type ControlCall,
  type IpcResult,
  type SubscriptionMessage,
  type SubscriptionTopic,
} from '../shared/control-ipc.js';

const gatewayUrl = process.argv.find((arg) => arg.startsWith(GATEWAY_URL_SWITCH))?.slice(GATEWAY_URL_SWITCH.length) ?? '';

/** Each live subscription's handler, by id. */
const handlers = new Map<number, (message: SubscriptionMessage) => void>();
let nextId = 1;

ipcRenderer.on(IPC_CHANNELS.event, (_event: IpcRendererEvent, id: unknown, message: SubscriptionMessage) => {
  if (typeof id === 'number') handlers.get(id)?.(message);
});

function subscribe(topic: SubscriptionTopic, filter: unknown, onEvent: (payload: unknown) => void, onError?: (error: ReturnType<typeof fromIpcError>) => void): Unsubscribe {
  const id = nextId++;
  handlers.set(id, (message) => {
    if (message.type === 'event') onEvent(message.payload);
    else {
      handlers.delete(id);
      onError?.(fromIpcError(message.error));
    }
  });
  ipcRenderer.send(IPC_CHANNELS.subscribe, id, topic, filter);
  return () => {
    if (!handlers.delete(id)) return;
    ipcRenderer.send(IPC_CHANNELS.unsubscribe, id);
  };
}

async function call(method: ControlCall, args: unknown[]): Promise<unknown> {
  const result = (await ipcRenderer.invoke(IPC_CHANNELS.call, method, args)) as IpcResult;
  return unwrapIpcResult(result);
}

const calls = Object.fromEntries(CONTROL_CALLS.map((method) => [method, (...args: unknown[]) => call(method, args)]));

const api = {
  ...calls,
  gatewayUrl: () => gatewayUrl,
  streamAudit: (filter: AuditFilter, onEvent: (event: AuditEvent) => void, onError) =>
    subscribe('audit', filter, (payload) => onEvent(payload as AuditEvent), onError),
  watchServers: (onChange: (servers: ServerView[]) => void) => subscribe('servers', undefined, (payload) => onChange(payload as ServerView[])),
} as ControlApi;

contextBridge.exposeInMainWorld('gateway', api);
