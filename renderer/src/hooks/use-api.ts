import { createContext, useContext } from 'react';
import type { ControlApi } from '../../../shared/control-api.js';

/** The control API of the logged-in session. */
export const ApiContext = createContext<ControlApi | undefined>(undefined);

export function useApi(): ControlApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi() outside <ApiContext.Provider>');
  return api;
}
