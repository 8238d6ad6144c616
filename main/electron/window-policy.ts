/**
 * The window's security and placement rules, as data and predicates the shell applies: the
 * Electron checklist (isolation, sandbox, CSP, sender checks, no navigation away, an allow-list
 * for links opened outside) plus keeping a remembered window on a screen that still exists.
 */
import type { BrowserWindowConstructorOptions, Rectangle } from 'electron';
import { GATEWAY_URL_SWITCH } from '../../shared/control-ipc.js';
import { DEEP_LINK_SCHEMES } from '../../shared/client-configs/index.js';

/** The UI is served from its own privileged scheme, never from file:// or the gateway's http://. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'gatehouse';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * The policy of every app:// response. Everything is denied unless named: the built UI is one
 * script, one stylesheet and an SVG icon from its own origin, and talks to main over IPC, so it
 * needs no network at all beyond 'self'. React's `style` props go through the CSSOM, which CSP
 * does not restrict, so `style-src 'self'` needs no 'unsafe-inline'.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

export type Decision = { allow: true } | { allow: false; reason: string };

export interface MainWindowParams {
  preloadPath: string;
  gatewayUrl: string;
  bounds?: Rectangle;
  platform: NodeJS.Platform;
}

const MIN_WINDOW_SIZE = { width: 720, height: 480 } as const;
const DEFAULT_WINDOW_SIZE = { width: 1100, height: 760 } as const;

export function mainWindowOptions(params: Readonly<MainWindowParams>): BrowserWindowConstructorOptions {
  return {
    ...(params.bounds ?? DEFAULT_WINDOW_SIZE),
    minWidth: MIN_WINDOW_SIZE.width,
    minHeight: MIN_WINDOW_SIZE.height,
    title: 'Gatehouse',
    // Shown on `ready-to-show`, so the user never sees an empty frame.
    show: false,
    // Windows and Linux would show Electron's default File/Edit/View bar; the app has no use for it.
    autoHideMenuBar: params.platform !== 'darwin',
    webPreferences: {
      preload: params.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      additionalArguments: [GATEWAY_URL_SWITCH + params.gatewayUrl],
    },
  };
}

/** A URL of the app's own pages: exactly `app://gatehouse/...`, no credentials, no port. */
export function isAppUrl(url: string): boolean {
  const parsed = parse(url);
  return (
    parsed !== undefined &&
    parsed.protocol === `${APP_SCHEME}:` &&
    parsed.host === APP_HOST &&
    parsed.username === '' &&
    parsed.password === '' &&
    parsed.pathname.startsWith('/')
  );
}

/** Only the app's own pages may use IPC: not an iframe, not a page that navigated away, not about:blank. */
export function isTrustedSender(frameUrl: string | undefined): boolean {
  return frameUrl !== undefined && isAppUrl(frameUrl);
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Whether `shell.openExternal` may open `url`. The OS hands other schemes to whatever program
 * registered them, so only web pages go (https anywhere, http on loopback only, for sign-in pages
 * of local servers) plus the clients' own one-click install links.
 */
export function externalLinkDecision(url: string): Decision {
  const parsed = parse(url);
  if (!parsed) return refuse('not a valid URL');
  if (parsed.username !== '' || parsed.password !== '') return refuse('URLs with credentials are not opened');
  if (parsed.protocol === 'https:') return { allow: true };
  // One-click installs of the clients screen (cursor:, vscode:, ...): they carry no token.
  if ((DEEP_LINK_SCHEMES as readonly string[]).includes(parsed.protocol)) return { allow: true };
  if (parsed.protocol === 'http:') {
    return LOOPBACK_HOSTS.has(parsed.hostname) ? { allow: true } : refuse(`plain http is opened only on this computer, not on ${parsed.hostname}`);
  }
  return refuse(`the ${parsed.protocol} scheme is not opened`);
}

/** The window never leaves the app: every other page belongs in the browser. */
export function navigationDecision(url: string): Decision {
  return isAppUrl(url) ? { allow: true } : refuse('the window only shows Gatehouse pages');
}

/**
 * Where to put a remembered window now: on the display it overlaps most, shrunk to fit and moved
 * fully inside it. `undefined` (let Electron centre it) when it was saved on a display that is
 * gone, or the saved value is damaged.
 */
export function restoreBounds(saved: Rectangle | undefined, workAreas: readonly Rectangle[]): Rectangle | undefined {
  if (!saved || ![saved.x, saved.y, saved.width, saved.height].every(Number.isFinite) || saved.width <= 0 || saved.height <= 0) return undefined;
  let best: Rectangle | undefined;
  let bestOverlap = 0;
  for (const area of workAreas) {
    const overlap = overlapArea(saved, area);
    if (overlap > bestOverlap) [best, bestOverlap] = [area, overlap];
  }
  if (!best) return undefined;
  const width = Math.round(Math.min(saved.width, best.width));
  const height = Math.round(Math.min(saved.height, best.height));
  return {
    x: Math.round(clamp(saved.x, best.x, best.x + best.width - width)),
    y: Math.round(clamp(saved.y, best.y, best.y + best.height - height)),
    width,
    height,
  };
}

function overlapArea(a: Rectangle, b: Rectangle): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function refuse(reason: string): Decision {
  return { allow: false, reason };
}
