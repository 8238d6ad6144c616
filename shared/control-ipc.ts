/**
 * The control API over Electron IPC: channel names, the calls the preload may make, and the
 * Result values that carry answers and failures. Errors lose their class and fields when they
 * cross IPC and contextBridge, so the main process never throws across: it answers an
 * {@link IpcResult}, and the preload turns a failure back into a {@link ControlApiError}.
 *
 * The preload exposes a {@link ControlBridge} (plain functions and data, which is all that crosses
 * contextBridge intact); the renderer turns it into the {@link ControlApi} with
 * {@link createBridgeControlApi}, so failures arrive as real {@link ControlApiError}s.
 *
 * Shared by main (`main/electron/ipc-handlers.ts`), the preload and the renderer; no Node, no Electron.
 */
import { ControlApiError, type AuditEvent, type ControlApi, type ServerView, type Unsubscribe } from './control-api.js';

/** IPC channel names. */
export const IPC_CHANNELS = {
  /** `invoke(call, method, args)` → {@link IpcResult}. */
  call: 'gatehouse:call',
  /** `send(subscribe, id, topic, filter?)`: start sending events of `topic` tagged with `id`. */
  subscribe: 'gatehouse:subscribe',
  /** `send(unsubscribe, id)`. */
  unsubscribe: 'gatehouse:unsubscribe',
  /** main → renderer: `(id, message: SubscriptionMessage)`. */
  event: 'gatehouse:event',
} as const;

/**
 * The {@link ControlApi} methods that are one request and one answer. `gatewayUrl` (synchronous,
 * passed to the preload at window creation) and `streamAudit` (a subscription) are not calls.
 */
export const CONTROL_CALLS = [
  'listServers',
  'getServer',
  'addServer',
  'putServer',
  'removeServer',
  'startServer',
  'stopServer',
  'restartServer',
  'serverLogs',
  'listApprovals',
  'approveServer',
  'listTools',
  'callTool',
  'queryAudit',
  'exportAudit',
  'stats',
  'listTokens',
  'createToken',
  'revokeToken',
  'listSecrets',
  'setSecret',
  'deleteSecret',
  'info',
  'clientInstallStatus',
  'previewClientChange',
  'installClient',
  'removeClient',
  'getSettings',
  'updateSettings',
  'signIn',
  'chooseEncryptedFileSecrets',
] as const satisfies ReadonlyArray<keyof ControlApi>;

export type ControlCall = (typeof CONTROL_CALLS)[number];

export function isControlCall(name: unknown): name is ControlCall {
  return typeof name === 'string' && (CONTROL_CALLS as readonly string[]).includes(name);
}

/** What a subscription can watch: live audit events (with a filter) or server status changes. */
export const SUBSCRIPTION_TOPICS = ['audit', 'servers'] as const;
export type SubscriptionTopic = (typeof SUBSCRIPTION_TOPICS)[number];

/** One message of a subscription: a payload, or its end with the reason. */
export type SubscriptionMessage = { type: 'event'; payload: unknown } | { type: 'error'; error: IpcError };

/** A {@link ControlApiError} as plain data. */
export interface IpcError {
  status: number;
  message: string;
  details: string[];
}

export type IpcResult<T = unknown> = { ok: true; value: T } | { ok: false; error: IpcError };

/** A failure as plain data; anything that is not a {@link ControlApiError} is a 500 with its message. */
export function toIpcError(error: unknown): IpcError {
  if (error instanceof ControlApiError) return { status: error.status, message: error.message, details: [...error.details] };
  return { status: 500, message: error instanceof Error ? error.message : String(error), details: [] };
}

/** The value of an answer, or its failure thrown as a {@link ControlApiError}. */
export function unwrapIpcResult<T>(result: IpcResult<T>): T {
  if (result.ok) return result.value;
  throw fromIpcError(result.error);
}

export function fromIpcError(error: IpcError): ControlApiError {
  return new ControlApiError(error.status, error.message, error.details);
}

/** The command-line switch that hands the gateway's URL to the preload (`webPreferences.additionalArguments`). */
export const GATEWAY_URL_SWITCH = '--gatehouse-gateway-url=';

/** The name of the one object the preload puts on `window`. */
export const BRIDGE_GLOBAL = 'gatehouseBridge';

/** What the preload exposes: IPC, typed, and nothing else. */
export interface ControlBridge {
  /** The gateway's base URL (for client configs), as the window was opened with. */
  readonly gatewayUrl: string;
  /** One control API call; never rejects for a failure of the call itself. */
  invoke(method: ControlCall, args: unknown[]): Promise<IpcResult>;
  /** Starts a subscription; the returned function ends it. */
  subscribe(topic: SubscriptionTopic, filter: unknown, listener: (message: SubscriptionMessage) => void): Unsubscribe;
}

/** The {@link ControlApi} over a {@link ControlBridge}. */
export function createBridgeControlApi(bridge: ControlBridge): ControlApi {
  const call = async (method: ControlCall, args: unknown[]): Promise<unknown> => unwrapIpcResult(await bridge.invoke(method, args));
  const calls = Object.fromEntries(CONTROL_CALLS.map((method) => [method, (...args: unknown[]) => call(method, args)])) as unknown as Pick<ControlApi, ControlCall>;
  const subscribe = (topic: SubscriptionTopic, filter: unknown, onEvent: (payload: unknown) => void, onError?: (error: ControlApiError) => void): Unsubscribe => {
    let open = true;
    const stop = bridge.subscribe(topic, filter, (message) => {
      if (!open) return;
      if (message.type === 'event') return onEvent(message.payload);
      open = false;
      onError?.(fromIpcError(message.error));
    });
    return () => {
      open = false;
      stop();
    };
  };
  return {
    ...calls,
    gatewayUrl: () => bridge.gatewayUrl,
    streamAudit: (filter, onEvent, onError) => subscribe('audit', filter, (payload) => onEvent(payload as AuditEvent), onError),
    watchServers: (onChange) => subscribe('servers', undefined, (payload) => onChange(payload as ServerView[])),
  };
}
