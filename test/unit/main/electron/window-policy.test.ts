import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generate, listClients } from '../../../../shared/client-configs/index.js';
import { GATEWAY_URL_SWITCH } from '../../../../shared/control-ipc.js';
import {
  APP_ENTRY_URL,
  CONTENT_SECURITY_POLICY,
  externalLinkDecision,
  isAppUrl,
  isTrustedSender,
  mainWindowOptions,
  navigationDecision,
  restoreBounds,
} from '../../../../main/electron/window-policy.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const params = { preloadPath: '/app/dist/preload/preload.cjs', gatewayUrl: 'http://127.0.0.1:7420', platform: 'linux' as const };

describe('mainWindowOptions', () => {
  it('isolates the page from Node and Electron', () => {
    expect(mainWindowOptions(params).webPreferences).toMatchObject({
      preload: '/app/dist/preload/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    });
  });

  it('hands the gateway URL to the preload on its command line', () => {
    expect(mainWindowOptions(params).webPreferences?.additionalArguments).toEqual([`${GATEWAY_URL_SWITCH}http://127.0.0.1:7420`]);
  });

  it('opens hidden (shown when ready), titled, with a usable minimum size', () => {
    const options = mainWindowOptions(params);
    expect(options).toMatchObject({ show: false, title: 'Gatehouse' });
    expect(options.minWidth).toBeGreaterThanOrEqual(640);
    expect(options.minHeight).toBeGreaterThanOrEqual(400);
    expect(options.width).toBeGreaterThanOrEqual(options.minWidth!);
  });

  it('opens where it was left when given bounds', () => {
    const bounds = { x: 40, y: 50, width: 900, height: 700 };
    expect(mainWindowOptions({ ...params, bounds })).toMatchObject(bounds);
  });

  it('hides the default menu bar where the window would have one', () => {
    expect(mainWindowOptions({ ...params, platform: 'win32' }).autoHideMenuBar).toBe(true);
    expect(mainWindowOptions({ ...params, platform: 'darwin' }).autoHideMenuBar).toBe(false);
  });
});

describe('isTrustedSender', () => {
  it('trusts the app’s own pages', () => {
    expect(isTrustedSender(APP_ENTRY_URL)).toBe(true);
    expect(isTrustedSender('app://gatehouse/index.html#/audit')).toBe(true);
    expect(isTrustedSender('app://gatehouse/')).toBe(true);
  });

  it.each([
    ['no frame', undefined],
    ['an empty URL', ''],
    ['file:', 'file:///app/dist/renderer/index.html'],
    ['the gateway over http', 'http://127.0.0.1:7420/'],
    ['a web page', 'https://gatehouse/index.html'],
    ['about:blank', 'about:blank'],
    ['another app host', 'app://other/index.html'],
    ['a look-alike host', 'app://gatehouse.evil/index.html'],
    ['credentials in the URL', 'app://user@gatehouse/index.html'],
    ['a port', 'app://gatehouse:8080/index.html'],
    ['another scheme', 'apps://gatehouse/index.html'],
    ['garbage', 'not a url'],
  ])('refuses %s', (_what, url) => {
    expect(isTrustedSender(url)).toBe(false);
  });
});

describe('externalLinkDecision', () => {
  it.each([
    'https://github.com/login/oauth/authorize?client_id=x',
    'https://example.com:8443/x',
    'http://127.0.0.1:33418/callback',
    'http://localhost:3000/oauth',
    'http://[::1]:9000/',
  ])('opens %s', (url) => {
    expect(externalLinkDecision(url)).toEqual({ allow: true });
  });

  it.each([
    ['plain http to another host', 'http://example.com/'],
    ['a host that only starts like localhost', 'http://localhost.evil.com/'],
    ['file:', 'file:///etc/passwd'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['a custom scheme no client install link uses', 'ms-settings://privacy'],
    ['smb:', 'smb://server/share'],
    ['user and password', 'https://user:pass@example.com/'],
    ['a user name', 'https://user@example.com/'],
    ['a malformed URL', 'https://'],
    ['a relative URL', '/index.html'],
  ])('refuses %s, saying why', (_what, url) => {
    const decision = externalLinkDecision(url);
    expect(decision.allow).toBe(false);
    expect(decision.allow === false && decision.reason.length > 0).toBe(true);
  });
});

describe('one-click install links', () => {
  it('opens the deep link of every client that has one, and nothing else of theirs', () => {
    const links = listClients().flatMap((c) => generate(c.id, { url: 'http://127.0.0.1:7420/mcp' }).deepLink ?? []);
    expect(links.length).toBeGreaterThanOrEqual(3);
    for (const link of links) expect(externalLinkDecision(link)).toEqual({ allow: true });
  });
});

describe('navigationDecision', () => {
  it('lets the window move between its own pages only', () => {
    expect(navigationDecision('app://gatehouse/index.html#/servers')).toEqual({ allow: true });
    expect(navigationDecision('https://example.com/').allow).toBe(false);
    expect(navigationDecision('http://127.0.0.1:7420/').allow).toBe(false);
    expect(navigationDecision('file:///tmp/x.html').allow).toBe(false);
    expect(navigationDecision('app://other/').allow).toBe(false);
  });

  it('agrees with isAppUrl', () => {
    for (const url of ['app://gatehouse/a', 'app://gatehouse:1/a', 'https://x/']) expect(navigationDecision(url).allow).toBe(isAppUrl(url));
  });
});

describe('restoreBounds', () => {
  const laptop = { x: 0, y: 0, width: 1440, height: 875 };
  const monitor = { x: 1440, y: 0, width: 2560, height: 1415 };

  it('keeps a window that is on a screen', () => {
    const saved = { x: 100, y: 80, width: 1000, height: 700 };
    expect(restoreBounds(saved, [laptop])).toEqual(saved);
    const onMonitor = { x: 2000, y: 200, width: 1200, height: 800 };
    expect(restoreBounds(onMonitor, [laptop, monitor])).toEqual(onMonitor);
  });

  it('forgets a window whose screen is gone, so it opens centred', () => {
    expect(restoreBounds({ x: 2000, y: 200, width: 1200, height: 800 }, [laptop])).toBeUndefined();
    expect(restoreBounds({ x: -5000, y: -5000, width: 800, height: 600 }, [laptop])).toBeUndefined();
  });

  it('moves a window that hangs off the edge fully onto the screen', () => {
    expect(restoreBounds({ x: 1000, y: 600, width: 800, height: 600 }, [laptop])).toEqual({ x: 640, y: 275, width: 800, height: 600 });
  });

  it('shrinks a window larger than the screen it is on', () => {
    expect(restoreBounds({ x: -100, y: -50, width: 3000, height: 2000 }, [laptop])).toEqual({ x: 0, y: 0, width: 1440, height: 875 });
  });

  it('puts a window across two screens on the one holding most of it', () => {
    expect(restoreBounds({ x: 1240, y: 100, width: 1000, height: 700 }, [laptop, monitor])).toEqual({ x: 1440, y: 100, width: 1000, height: 700 });
  });

  it('ignores missing or damaged saved bounds', () => {
    expect(restoreBounds(undefined, [laptop])).toBeUndefined();
    expect(restoreBounds({ x: Number.NaN, y: 0, width: 800, height: 600 }, [laptop])).toBeUndefined();
    expect(restoreBounds({ x: 0, y: 0, width: 0, height: 600 }, [laptop])).toBeUndefined();
    expect(restoreBounds({ x: 0, y: 0, width: 800, height: 600 }, [])).toBeUndefined();
  });
});

describe('CONTENT_SECURITY_POLICY', () => {
  const directives = new Map(CONTENT_SECURITY_POLICY.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));

  it('denies by default and allows no inline or evaluated code, and no other origin', () => {
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('style-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    for (const name of ['base-uri', 'form-action', 'frame-ancestors', 'object-src']) expect(directives.get(name)).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe|\*|https?:/);
  });

  it('fits the UI page: no inline script or style that the policy would block', () => {
    const html = readFileSync(path.join(root, 'renderer', 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc=/);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
  });
});
