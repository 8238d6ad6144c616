/**
 * Hash routing (`#/audit?server=x&outcome=ok`): the page itself is always `/`, so the gateway
 * serves one file, and filters live in the URL where they survive a reload and can be shared.
 */
import { useCallback, useEffect, useState } from 'react';

export const SCREENS = ['servers', 'tools', 'audit', 'clients', 'tokens', 'secrets', 'settings'] as const;
export type Screen = (typeof SCREENS)[number];

export interface Route {
  screen: Screen;
  params: URLSearchParams;
}

function parseHash(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const screen = (SCREENS as readonly string[]).includes(path) ? (path as Screen) : 'servers';
  return { screen, params: new URLSearchParams(query) };
}

export function routeHash(screen: Screen, params?: URLSearchParams): string {
  const query = params?.toString();
  return `#/${screen}${query ? `?${query}` : ''}`;
}

/** The current route, and a way to change it (`replace` for filter edits, so Back skips them). */
export function useRoute(): [Route, (screen: Screen, params?: URLSearchParams, replace?: boolean) => void] {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onHashChange = (): void => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, []);
  const navigate = useCallback((screen: Screen, params?: URLSearchParams, replace = false) => {
    const hash = routeHash(screen, params);
    if (replace) window.history.replaceState(null, '', hash);
    else window.history.pushState(null, '', hash);
    setRoute(parseHash(hash));
  }, []);
  return [route, navigate];
}
