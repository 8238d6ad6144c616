import { useCallback, useEffect, useRef, useState } from 'react';
import { ControlApiError } from '../../../shared/control-api.js';

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  /** Loads again now (after an action), without waiting for the next tick. */
  refresh: () => Promise<void>;
}

/**
 * Loads `load()` now and every `intervalMs` while mounted (0: once). The admin API has no change
 * events for servers, so the status list polls; the audit timeline streams instead. Keeps the
 * last good data while a reload fails, so the screen does not jump.
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, onUnauthorized?: () => void): Polled<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const loadRef = useRef(load);
  loadRef.current = load;
  const unauthorizedRef = useRef(onUnauthorized);
  unauthorizedRef.current = onUnauthorized;

  const refresh = useCallback(async () => {
    try {
      setData(await loadRef.current());
      setError(undefined);
    } catch (err) {
      if (err instanceof ControlApiError && err.status === 401) unauthorizedRef.current?.();
      setError(err instanceof Error ? err.message : String(err));
    }
  }, []);

  useEffect(() => {
    void refresh();
    if (intervalMs <= 0) return undefined;
    const timer = window.setInterval(() => void refresh(), intervalMs);
    return () => window.clearInterval(timer);
  }, [refresh, intervalMs]);

  return { data, error, refresh };
}

/** The message of whatever a control API call threw, with the gateway's details. */
export function describeError(err: unknown): string {
  if (err instanceof ControlApiError && err.details.length > 0) return `${err.message}: ${err.details.join('; ')}`;
  return err instanceof Error ? err.message : String(err);
}
