/**
 * The preload of the Gatehouse window. It exposes exactly one object, `window.gatehouseBridge`:
 * the typed {@link ControlBridge} from `shared/` (invoke for calls, subscribe for events), which
 * the renderer turns into the control API. Nothing of Node or Electron crosses.
 *
 * Answers come back as Result values because errors lose their class and fields across IPC and
 * contextBridge; subscriptions are a subscribe/unsubscribe pair of messages tagged with an id.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { BRIDGE_GLOBAL, GATEWAY_URL_SWITCH, IPC_CHANNELS, type ControlBridge, type IpcResult, type SubscriptionMessage } from '../shared/control-ipc.js';

/** Each live subscription's listener, by id. */
const listeners = new Map<number, (message: SubscriptionMessage) => void>();
let nextId = 1;

ipcRenderer.on(IPC_CHANNELS.event, (_event: IpcRendererEvent, id: unknown, message: SubscriptionMessage) => {
  if (typeof id !== 'number') return;
  listeners.get(id)?.(message);
  if (message.type === 'error') listeners.delete(id);
});

const bridge: ControlBridge = {
  gatewayUrl: process.argv.find((arg) => arg.startsWith(GATEWAY_URL_SWITCH))?.slice(GATEWAY_URL_SWITCH.length) ?? '',
  invoke: (method, args) => ipcRenderer.invoke(IPC_CHANNELS.call, method, args) as Promise<IpcResult>,
  subscribe(topic, filter, listener) {
    const id = nextId++;
    listeners.set(id, listener);
    ipcRenderer.send(IPC_CHANNELS.subscribe, id, topic, filter);
    return () => {
      if (listeners.delete(id)) ipcRenderer.send(IPC_CHANNELS.unsubscribe, id);
    };
  },
};

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, bridge);
