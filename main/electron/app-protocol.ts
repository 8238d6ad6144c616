/**
 * Serves the built UI (`dist/renderer`) at `app://gatehouse/...` for `protocol.handle`. A custom
 * standard scheme gives the window a real origin (the sender check and CSP 'self' need one)
 * without file://, which would let any page read any file. The UI routes by hash, so there is no
 * fallback to index.html: a missing file is a 404.
 */
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { APP_HOST, CONTENT_SECURITY_POLICY } from './window-policy.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  // The build is replaced on update; the page must never run a stale bundle.
  'cache-control': 'no-cache',
};

/** Answers one app:// request from the files under `rootDir`; never reads outside it. */
export async function serveAppRequest(rootDir: string, request: Request): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return problem(405, `${request.method} is not allowed`, { allow: 'GET, HEAD' });
  }
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return problem(400, 'not a valid URL');
  }
  if (url.host !== APP_HOST) return problem(404, 'no such page');
  const relative = relativePath(url.pathname);
  if (relative === undefined) return problem(400, 'not a valid path');

  const root = path.resolve(rootDir);
  const file = path.join(root, relative);
  let body: Buffer;
  try {
    // The path cannot climb out any more, but a symlink inside the build could point elsewhere.
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(file)]);
    if (!isInside(realRoot, realFile)) return problem(404, 'no such page');
    body = await readFile(realFile);
  } catch {
    // Missing, a folder, or unreadable: all the same to the page.
    return problem(404, 'no such page');
  }
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
    status: 200,
    headers: {
      ...SECURITY_HEADERS,
      'content-type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': String(body.length),
    },
  });
}

/**
 * The file a URL path names, relative to the root, or `undefined` when it may not name one:
 * undecodable, NUL, backslashes (a separator on Windows), drive letters, `.` and `..` segments
 * (`%2e%2e` and `%2f` decode into those after the URL parser's own clean-up).
 */
function relativePath(pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..' || s.includes(':'))) return undefined;
  return segments.length === 0 ? 'index.html' : segments.join('/');
}

function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

function problem(status: number, message: string, extra: Record<string, string> = {}): Response {
  return new Response(message, { status, headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', ...extra } });
}
