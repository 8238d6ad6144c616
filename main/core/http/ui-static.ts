/**
 * Serves the built control UI (Vite output, `dist/renderer`) at `/`, for headless `serve`: the
 * page itself needs no token; every API call it makes needs the admin token. Only `index.html`
 * and files directly under `assets/` are served, with a strict Content-Security-Policy: no
 * inline scripts, no remote content, connections back to this origin only.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { problem } from './admin-api.js';

/**
 * The policy of every UI response. `style-src 'self'` holds too: React sets inline styles
 * through the CSSOM, which CSP does not restrict, so no `'unsafe-inline'` is needed.
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Whether `pathname` belongs to the UI: `/`, `/index.html` or `/assets/...`. */
export function isUiPath(pathname: string): boolean {
  return pathname === '/' || pathname === '/index.html' || pathname.startsWith('/assets/');
}

/**
 * Where the built UI is by default: `dist/renderer`, found from this module's location both in
 * the build (`dist/main/core/http/`) and in the sources run by tests (`main/core/http/`).
 */
export function defaultUiDir(): string {
  const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  return path.basename(top) === 'dist' ? path.join(top, 'renderer') : path.join(top, 'dist', 'renderer');
}

/** Answers a request for {@link isUiPath} from the files in `uiDir`. */
export async function serveUi(req: IncomingMessage, res: ServerResponse, pathname: string, uiDir: string): Promise<void> {
  req.resume();
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return void problem(res, 405, `${method} is not allowed on ${pathname}`);
  }
  const isIndex = pathname === '/' || pathname === '/index.html';
  let relative: string;
  if (isIndex) relative = 'index.html';
  else {
    const name = pathname.slice('/assets/'.length);
    // One plain file name: no `..`, no sub-folders, no encoded separators.
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) return void problem(res, 404, `nothing at ${pathname}`);
    relative = path.join('assets', name);
  }
  let body: Buffer;
  try {
    body = await readFile(path.join(uiDir, relative));
  } catch {
    const message = isIndex ? `the control UI is not built (no ${path.join(uiDir, 'index.html')}; run npm run build)` : `nothing at ${pathname}`;
    return void problem(res, 404, message);
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[path.extname(relative)] ?? 'application/octet-stream',
    'content-length': body.length,
    // Asset names carry a content hash; the page itself must always be fresh.
    'cache-control': isIndex ? 'no-cache' : 'public, max-age=31536000, immutable',
    'content-security-policy': UI_CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  });
  res.end(method === 'HEAD' ? undefined : body);
}
