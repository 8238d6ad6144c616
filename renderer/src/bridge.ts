/**
 * The only module that decides where the control API comes from: the Electron preload's
 * `window.gatehouseBridge` when present, otherwise the gateway's `/admin` HTTP API on this page's
 * own origin with the admin token the user logged in with.
 */
import type { ControlApi } from '../../shared/control-api.js';
import { createHttpControlApi } from '../../shared/control-api-http.js';
import { createBridgeControlApi, type ControlBridge } from '../../shared/control-ipc.js';

declare global {
  interface Window {
    /** Set by the Electron preload (contextBridge); absent in a browser. */
    gatehouseBridge?: ControlBridge;
  }
}

const TOKEN_KEY = 'gatehouse.adminToken';

/** Whether the UI runs inside the Electron window, where no login is needed. */
export function hasNativeBridge(): boolean {
  return window.gatehouseBridge !== undefined;
}

/** The control API for `token` (ignored under Electron). */
export function connect(token: string): ControlApi {
  return window.gatehouseBridge ? createBridgeControlApi(window.gatehouseBridge) : createHttpControlApi({ baseUrl: window.location.origin, token });
}

/** The admin token of this tab, kept for the session only (closing the tab forgets it). */
export function savedToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}
