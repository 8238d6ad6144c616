/**
 * The main side of the control API over IPC, apart from `ipcMain`: the shell passes each
 * message's sender frame URL and raw arguments here. Every entry checks the sender first (only
 * the app's own pages may drive the gateway), takes nothing from the renderer on trust, and
 * answers with plain data, because errors lose their fields across IPC.
 */
import { AUDIT_FILTER_KEYS, type AuditFilter, type ControlApi, type ServerView, type Unsubscribe } from '../../shared/control-api.js';
import {
  isControlCall,
  SUBSCRIPTION_TOPICS,
  toIpcError,
  type IpcError,
  type IpcResult,
  type SubscriptionMessage,
  type SubscriptionTopic,
} from '../../shared/control-ipc.js';

export interface ControlIpcDeps {
  api: ControlApi;
  isTrustedSender(url: string | undefined): boolean;
  watchServers(listener: (servers: ServerView[]) => void): Unsubscribe;
  log?(message: string, fields?: object): void;
}

/** A window that subscribes: `key` identifies it (its webContents id), `send` delivers to it. */
export interface SubscriptionSender {
  key: number;
  send(id: number, message: SubscriptionMessage): void;
}

export interface ControlIpc {
  /** One control API call; never rejects. */
  handleCall(senderUrl: string | undefined, method: unknown, args: unknown): Promise<IpcResult>;
  /** Starts sending `topic`'s events to `sender` under `id`; the same id again replaces the old one. */
  subscribe(sender: SubscriptionSender, senderUrl: string | undefined, id: unknown, topic: unknown, filter: unknown): void;
  unsubscribe(senderKey: number, id: unknown): void;
  /** Ends every subscription of a window that is gone. */
  dropSender(senderKey: number): void;
  /** Ends every subscription; later ones are refused. */
  dispose(): void;
}

interface Subscription {
  senderKey: number;
  stop?: Unsubscribe;
}

export function createControlIpc(deps: Readonly<ControlIpcDeps>): ControlIpc {
  const log = deps.log ?? (() => undefined);
  const subscriptions = new Map<string, Subscription>();
  let disposed = false;

  function end(key: string): void {
    const sub = subscriptions.get(key);
    if (!sub) return;
    subscriptions.delete(key);
    sub.stop?.();
  }

  return {
    async handleCall(senderUrl, method, args) {
      if (!deps.isTrustedSender(senderUrl)) {
        log('refused a control call from an untrusted frame', { url: describe(senderUrl), method: describe(method) });
        return failure(403, 'this page may not use the Gatehouse control API');
      }
      // A fixed list, not a property lookup: `constructor` or `__proto__` never reach the API object.
      if (!isControlCall(method)) return failure(400, `unknown control method ${describe(method)}`);
      if (!Array.isArray(args)) return failure(400, `the arguments of ${method} must be an array`);
      try {
        const fn = deps.api[method] as (...a: unknown[]) => Promise<unknown>;
        return { ok: true, value: await fn.apply(deps.api, args) };
      } catch (error) {
        return { ok: false, error: toIpcError(error) };
      }
    },

    subscribe(sender, senderUrl, id, topic, filter) {
      if (!deps.isTrustedSender(senderUrl)) {
        // Nothing goes back: an untrusted frame learns nothing, not even that the topic exists.
        log('refused a subscription from an untrusted frame', { url: describe(senderUrl), topic: describe(topic) });
        return;
      }
      if (disposed) return;
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
        log('refused a subscription with an invalid id', { id: describe(id) });
        return;
      }
      const key = `${sender.key}:${id}`;
      end(key);
      const sub: Subscription = { senderKey: sender.key };
      subscriptions.set(key, sub);
      // Late events of a replaced or ended subscription must not reach a new one with the same id.
      const isCurrent = (): boolean => subscriptions.get(key) === sub;
      const emit = (payload: unknown): void => {
        if (isCurrent()) sender.send(id, { type: 'event', payload });
      };
      const fail = (error: IpcError): void => {
        if (!isCurrent()) return;
        subscriptions.delete(key);
        sender.send(id, { type: 'error', error });
      };

      if (!isTopic(topic)) return fail({ status: 400, message: `unknown subscription topic ${describe(topic)}`, details: [] });
      let stop: Unsubscribe;
      try {
        if (topic === 'servers') stop = deps.watchServers(emit);
        else {
          const parsed = parseAuditFilter(filter);
          if (typeof parsed === 'string') return fail({ status: 400, message: parsed, details: [] });
          stop = deps.api.streamAudit(parsed, emit, (error) => fail(toIpcError(error)));
        }
      } catch (error) {
        return fail(toIpcError(error));
      }
      // The source may have ended (or been replaced) while it was starting.
      if (isCurrent()) sub.stop = stop;
      else stop();
    },

    unsubscribe(senderKey, id) {
      if (typeof id === 'number') end(`${senderKey}:${id}`);
    },

    dropSender(senderKey) {
      for (const [key, sub] of [...subscriptions]) if (sub.senderKey === senderKey) end(key);
    },

    dispose() {
      disposed = true;
      for (const key of [...subscriptions.keys()]) end(key);
    },
  };
}

function isTopic(topic: unknown): topic is SubscriptionTopic {
  return typeof topic === 'string' && (SUBSCRIPTION_TOPICS as readonly string[]).includes(topic);
}

/** The audit filter from the renderer: known keys with string values only, or why not. */
function parseAuditFilter(filter: unknown): AuditFilter | string {
  if (filter === undefined || filter === null) return {};
  if (typeof filter !== 'object' || Array.isArray(filter)) return 'the audit filter must be an object';
  const out: AuditFilter = {};
  for (const key of AUDIT_FILTER_KEYS) {
    const value = (filter as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') return `the audit filter's ${key} must be a string`;
    out[key] = value;
  }
  return out;
}

function failure(status: number, message: string): IpcResult {
  return { ok: false, error: { status, message, details: [] } };
}

/** A short, safe rendering of an untrusted value for messages and logs. */
function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value) : typeof value;
}
