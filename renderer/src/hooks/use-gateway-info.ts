import { createContext, useContext } from 'react';
import type { GatewayInfo, SecretStoreStatus } from '../../../shared/control-api.js';

/** `api.info()` as the shell loaded it, shared by every screen (it changes only when the secret store does). */
export interface GatewayInfoState {
  info: GatewayInfo | undefined;
  error: string | undefined;
  /** Replaces the info (after a call that answers a new one, such as choosing the secret store). */
  update: (info: GatewayInfo) => void;
  refresh: () => Promise<void>;
}

export const GatewayInfoContext = createContext<GatewayInfoState | undefined>(undefined);

export function useGatewayInfo(): GatewayInfoState {
  const state = useContext(GatewayInfoContext);
  if (!state) throw new Error('useGatewayInfo() outside <GatewayInfoContext.Provider>');
  return state;
}

/**
 * Why no secret can be stored, when that is so; `undefined` while the info loads or when
 * secrets can be stored. Forms that would store a secret show this instead of failing later.
 */
export function useSecretsUnavailable(): string | undefined {
  const store = useContext(GatewayInfoContext)?.info?.secretStore;
  return store?.kind === 'unavailable' ? unavailableMessage(store) : undefined;
}

/** The sentence the UI shows where a secret would be stored but cannot be. */
export function unavailableMessage(store: SecretStoreStatus): string {
  return `No secret can be stored: ${store.message ?? 'the gateway has no secret store'}`;
}
