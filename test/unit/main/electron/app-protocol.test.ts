import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serveAppRequest } from '../../../../main/electron/app-protocol.js';
import { CONTENT_SECURITY_POLICY } from '../../../../main/electron/window-policy.js';

const SECRET = 'beside-the-root: must never be served';

/**
 * A temp folder holding `renderer/` (the root served) and, beside it, `secret.txt` and a
 * `renderer-evil/` folder whose name starts like the root's.
 */
let base: string;
let rendererDir: string;

beforeEach(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'gatehouse-app-protocol-'));
  rendererDir = path.join(base, 'renderer');
  await mkdir(path.join(rendererDir, 'assets'), { recursive: true });
  await mkdir(path.join(base, 'renderer-evil'));
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Gatehouse</title>');
  await writeFile(path.join(rendererDir, 'assets', 'index-abc.js'), 'console.log(1)');
  await writeFile(path.join(rendererDir, 'assets', 'index-abc.css'), 'body{}');
  await writeFile(path.join(rendererDir, 'assets', 'favicon.svg'), '<svg/>');
  await writeFile(path.join(rendererDir, 'assets', 'data.bin'), 'raw');
  await writeFile(path.join(base, 'secret.txt'), SECRET);
  await writeFile(path.join(base, 'renderer-evil', 'x.txt'), SECRET);
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

function get(url: string, method = 'GET'): Promise<Response> {
  return serveAppRequest(rendererDir, new Request(url, { method }));
}

describe('serveAppRequest', () => {
  it('serves index.html at the root and by name, as HTML', async () => {
    for (const url of ['app://gatehouse/', 'app://gatehouse/index.html', 'app://gatehouse/index.html?x=1#/audit']) {
      const res = await get(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toContain('<title>Gatehouse</title>');
    }
  });

  it('gives each asset the content type of its extension', async () => {
    const types: Record<string, string> = {
      'index-abc.js': 'text/javascript; charset=utf-8',
      'index-abc.css': 'text/css; charset=utf-8',
      'favicon.svg': 'image/svg+xml',
      'data.bin': 'application/octet-stream',
    };
    for (const [name, type] of Object.entries(types)) {
      const res = await get(`app://gatehouse/assets/${name}`);
      expect([res.status, res.headers.get('content-type')]).toEqual([200, type]);
    }
  });

  it('sends the CSP, nosniff and no-cache with every answer, refusals included', async () => {
    for (const url of ['app://gatehouse/', 'app://gatehouse/missing.js', 'app://gatehouse/%2e%2e%2fsecret.txt']) {
      const res = await get(url);
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await get('app://gatehouse/assets/index-abc.js', 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String('console.log(1)'.length));
    expect(await res.text()).toBe('');
  });

  it('refuses other methods with 405 and says which are allowed', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await get('app://gatehouse/index.html', method);
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
    }
  });

  it('serves nothing for another host', async () => {
    expect((await get('app://other/index.html')).status).toBe(404);
    expect((await get('app://gatehouse.evil/index.html')).status).toBe(404);
  });

  it('answers 404 for a missing file or a folder', async () => {
    expect((await get('app://gatehouse/nope.js')).status).toBe(404);
    expect((await get('app://gatehouse/assets')).status).toBe(404);
    expect((await get('app://gatehouse/assets/')).status).toBe(404);
  });

  it.each([
    // The URL parser folds these away: what is left names a file inside the root, which is missing.
    ['app://gatehouse/../secret.txt', 404],
    ['app://gatehouse/assets/../../secret.txt', 404],
    ['app://gatehouse/%2e%2e/secret.txt', 404],
    ['app://gatehouse//secret.txt', 404],
    // These only climb once decoded: refused as bad requests.
    ['app://gatehouse/..%2fsecret.txt', 400],
    ['app://gatehouse/%2e%2e%2fsecret.txt', 400],
    ['app://gatehouse/assets/..%2f..%2fsecret.txt', 400],
    ['app://gatehouse/..%5csecret.txt', 400],
    ['app://gatehouse/%2e%2e%2frenderer-evil%2fx.txt', 400],
  ])('cannot read a file beside the root through %s', async (url, status) => {
    const res = await get(url);
    expect(res.status).toBe(status);
    expect(await res.text()).not.toContain(SECRET);
  });

  it('refuses an absolute path smuggled in encoded', async () => {
    const absolute = encodeURIComponent(path.join(base, 'secret.txt'));
    const res = await get(`app://gatehouse/${absolute}`);
    expect([400, 404]).toContain(res.status);
    expect(await res.text()).not.toContain(SECRET);
  });

  it('refuses NUL bytes and undecodable paths with 400', async () => {
    expect((await get('app://gatehouse/index.html%00.js')).status).toBe(400);
    expect((await get('app://gatehouse/%E0%A4%A')).status).toBe(400);
  });

  it('does not follow a symlink out of the root', async () => {
    await symlink(path.join(base, 'secret.txt'), path.join(rendererDir, 'assets', 'link.txt'));
    const res = await get('app://gatehouse/assets/link.txt');
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain(SECRET);
  });

  it('follows a symlink that stays inside the root', async () => {
    await symlink(path.join(rendererDir, 'index.html'), path.join(rendererDir, 'assets', 'home.html'));
    expect((await get('app://gatehouse/assets/home.html')).status).toBe(200);
  });
});
