import { useCallback, useEffect, useRef, useState } from 'react';
import { ControlApiError, type ControlApi, type ServerView } from '../../../shared/control-api.js';
import type { Polled } from './use-poll.js';

/** How often the browser UI asks for the server list (the admin API has no change events). */
const POLL_MS = 1500;

/**
 * Every server's view: loaded again on each change where the API can watch (the desktop app),
 * polled otherwise (a browser on `gatehouse serve`). `refresh` loads at once, after an action.
 */
export function useServers(api: ControlApi, onUnauthorized: () => void): Polled<ServerView[]> {
  const [data, setData] = useState<ServerView[]>();
  const [error, setError] = useState<string>();
  const unauthorizedRef = useRef(onUnauthorized);
  unauthorizedRef.current = onUnauthorized;

  const refresh = useCallback(async () => {
    try {
      setData(await api.listServers());
      setError(undefined);
    } catch (err) {
      if (err instanceof ControlApiError && err.status === 401) unauthorizedRef.current();
      setError(err instanceof Error ? err.message : String(err));
    }
  }, [api]);

  useEffect(() => {
    void refresh();
    if (api.watchServers) {
      // The push shows the change at once; the load after it tells whether the gateway answers
      // (a stopped desktop gateway pushes an empty list, and its API says why it is stopped).
      return api.watchServers((servers) => {
        setData(servers);
        void refresh();
      });
    }
    const timer = window.setInterval(() => void refresh(), POLL_MS);
    return () => window.clearInterval(timer);
  }, [api, refresh]);

  return { data, error, refresh };
}
