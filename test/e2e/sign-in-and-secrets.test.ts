/**
 * The control UI's OAuth sign-in and secret-store states, in real Chromium against a real
 * gateway: a remote server behind the OAuth fixture is signed in from its "Sign in" button
 * (the page opened by the UI in a new tab, or by the gateway's `openUrl` as in the desktop app),
 * and a gateway whose secret store fails closed says so wherever a secret would be typed.
 * Screenshots go to test-artifacts/screenshots/ beside control-ui's.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableSecretStore } from '../../main/core/security/unavailable-secret-store.js';
import { startOAuthFixture, type OAuthFixture } from '../fixtures/oauth-server.js';
import { launchChromium } from './support/browser.js';
import { ADMIN_TOKEN, startUiGateway, type UiGateway } from './support/gateway.js';
import { buildUi } from './support/ui-build.js';
import type { StartOptions } from '../integration/harness.js';
import type { ControlApi, SecretStoreStatus } from '../../shared/control-api.js';
import { createHttpControlApi } from '../../shared/control-api-http.js';
import { BRIDGE_GLOBAL } from '../../shared/control-ipc.js';
import { createControlIpc } from '../../main/electron/ipc-handlers.js';
import { APP_ENTRY_URL, isTrustedSender } from '../../main/electron/window-policy.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = path.join(root, 'test-artifacts/screenshots');
/** What the desktop app says on Linux without a keyring. */
const NO_KEYRING = 'Electron found no keyring on this system (backend basic_text), so safeStorage would not protect secrets.';

describe('sign-in and secret store in the control UI', () => {
  let browser: Browser;
  let uiDir: string;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    browser = await launchChromium();
    uiDir = await buildUi();
    await mkdir(SHOTS, { recursive: true });
  }, 120_000);

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (uiDir) await rm(uiDir, { recursive: true, force: true });
  });

  async function oauthFixture(): Promise<OAuthFixture> {
    const fixture = await startOAuthFixture({ label: 'ui' });
    cleanups.push(() => fixture.stop());
    return fixture;
  }

  async function gateway(mcpServers: Record<string, unknown>, options: StartOptions = {}): Promise<UiGateway> {
    const gw = await startUiGateway(uiDir, mcpServers, options);
    cleanups.push(() => gw.stop());
    return gw;
  }

  /** A logged-in page on `gw`. */
  async function openUi(gw: UiGateway): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    cleanups.push(() => context.close());
    const page = await context.newPage();
    await page.goto(gw.url);
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.locator('#root[data-app-state="ready"]').waitFor();
    return { context, page };
  }

  /** Both colour schemes; a modal dialog is shot in the viewport only (its backdrop covers just that). */
  async function screenshots(page: Page, name: string, fullPage = true): Promise<void> {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await page.screenshot({ path: path.join(SHOTS, `${name}-${colorScheme}.png`), fullPage });
    }
    await page.emulateMedia({ colorScheme: 'light' });
  }

  async function openScreen(page: Page, name: string): Promise<void> {
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
  }

  it('signs in to an OAuth server from its Sign in button, opening the page in a new tab', async () => {
    const as = await oauthFixture();
    const gw = await gateway({ secure: { type: 'http', url: as.url } });
    const { context, page } = await openUi(gw);
    const card = page.locator('li.server-card[data-server="secure"]');
    await card.getByText('asks for an OAuth sign-in').waitFor();

    // The authorization page is held until the waiting state has been looked at.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await context.route(
      (url) => url.pathname === '/authorize',
      async (route) => {
        await held;
        await route.continue();
      },
    );
    // Playwright reports the new tab once its first navigation gets going: after the release below.
    const newTab = context.waitForEvent('page');
    await card.getByRole('button', { name: 'Sign in' }).click();
    await card.getByText('Waiting for the sign-in in your browser…').waitFor();
    await card.getByText('The sign-in page was opened in a new tab.').waitFor();
    const link = card.getByTestId('sign-in-url');
    const url = (await link.getAttribute('href')) ?? '';
    expect(new URL(url).pathname).toBe('/authorize');
    expect(new URL(url).searchParams.get('code_challenge_method')).toBe('S256');
    expect(await link.textContent()).toBe(url);
    await card.getByRole('button', { name: 'Copy sign-in link' }).waitFor();
    await screenshots(page, 'servers-sign-in');

    // The fixture consents at once and sends the tab back to the gateway, which finishes the sign-in.
    release();
    const tab = await newTab;
    await tab.getByText('Gatehouse is signed in to "secure"').waitFor();
    await page.locator('li.server-card[data-server="secure"][data-status="running"]').waitFor({ timeout: 20_000 });
    await card.getByTestId('sign-in-waiting').waitFor({ state: 'detached' });
    expect(await card.getByRole('button', { name: 'Sign in' }).count()).toBe(0);
    expect(as.log.authorizations).toHaveLength(1);
  });

  it('leaves the page to the gateway when it opened it (the desktop app), still showing the link', async () => {
    const as = await oauthFixture();
    const opened: string[] = [];
    const gw = await gateway({ secure: { type: 'http', url: as.url } }, { openUrl: (url) => void opened.push(url) });
    const { context, page } = await openUi(gw);
    let newTabs = 0;
    context.on('page', () => newTabs++);
    const card = page.locator('li.server-card[data-server="secure"]');
    await card.getByRole('button', { name: 'Sign in' }).click();
    await card.getByText('The sign-in page was opened in your browser.').waitFor();
    expect(opened).toHaveLength(1);
    expect(await card.getByTestId('sign-in-url').getAttribute('href')).toBe(opened[0]);
    expect(newTabs).toBe(0);

    // The system browser, played by fetch: authorize (consents at once), then back to the gateway.
    const authorize = await fetch(opened[0]!, { redirect: 'manual' });
    expect((await fetch(authorize.headers.get('location')!)).status).toBe(200);
    await page.locator('li.server-card[data-server="secure"][data-status="running"]').waitFor({ timeout: 20_000 });
    await card.getByTestId('sign-in-waiting').waitFor({ state: 'detached' });
  });

  it('says plainly that no secret can be stored, and why, wherever a secret would be typed', async () => {
    const gw = await gateway(
      { keyed: { type: 'http', url: 'http://127.0.0.1:9/mcp', headers: { Authorization: 'Bearer ${secret:api-key}' } } },
      {
        secretStore: new UnavailableSecretStore(NO_KEYRING),
        desktop: true,
        // The desktop app would offer the encrypted file; a browser has no way to, so no button.
        secretStoreStatus: () => ({ kind: 'unavailable', message: NO_KEYRING, canChooseEncryptedFile: true }),
      },
    );
    const { page } = await openUi(gw);

    // The server that refers to a secret fails with the reason, not "not set".
    const card = page.locator('li.server-card[data-server="keyed"]');
    await card.getByText(`refers to secret "api-key", but no secret can be stored: ${NO_KEYRING}`).waitFor();

    // The form: no value can be marked secret, and it says why.
    await page.getByRole('button', { name: 'Add server' }).click();
    const form = page.getByRole('form', { name: 'Add server' });
    await form.getByRole('button', { name: 'Add variable' }).click();
    expect(await form.getByRole('checkbox', { name: 'secret' }).isDisabled()).toBe(true);
    expect(await form.getByTestId('form-secrets-unavailable').textContent()).toContain(`No secret can be stored: ${NO_KEYRING}`);
    await form.getByRole('button', { name: 'Cancel' }).click();

    // An import whose credentials would go to the store is refused before anything is sent.
    await page.getByRole('button', { name: 'Import config' }).click();
    await page.getByLabel('Config JSON').fill(JSON.stringify({ mcpServers: { mem: { command: 'node', env: { API_KEY: 'sk-live-0123456789abcdef' } } } }));
    await page.getByTestId('import-secrets-unavailable').filter({ hasText: NO_KEYRING }).waitFor();
    expect(await page.getByRole('button', { name: 'Import 1 server' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Cancel' }).click();

    // Settings: the store's kind and reason, and the secrets list says no secret can be stored.
    await openScreen(page, 'Settings');
    const kind = page.getByTestId('secret-store-kind');
    await kind.filter({ hasText: 'Unavailable: no secret can be stored' }).waitFor();
    expect(await kind.getAttribute('data-kind')).toBe('unavailable');
    expect(await page.getByTestId('secret-store-message').textContent()).toBe(NO_KEYRING);
    expect(await page.getByRole('button', { name: 'Use an encrypted file instead' }).count()).toBe(0);
    expect(await page.getByTestId('app-version').textContent()).toMatch(/^Gatehouse \d+\.\d+\.\d+/);
    await screenshots(page, 'settings-secrets-unavailable');

    // Secrets: the list says no secret can be stored, and nothing can be set or rotated.
    await openScreen(page, 'Secrets');
    expect(await page.getByTestId('secrets-unavailable').textContent()).toContain(`No secret can be stored: ${NO_KEYRING}`);
    await page.getByRole('table', { name: 'Secrets' }).locator('tr[data-secret="api-key"]').getByText('not set').waitFor();
    expect(await page.getByRole('button', { name: 'Set api-key' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Add secret' }).isDisabled()).toBe(true);
    await screenshots(page, 'secrets-unavailable');
  });

  it('in a window with a native bridge (as the desktop app), offers the encrypted-file store behind a confirmation', async () => {
    let status: SecretStoreStatus = { kind: 'unavailable', message: NO_KEYRING, canChooseEncryptedFile: true };
    const gw = await gateway({}, { secretStore: new UnavailableSecretStore(NO_KEYRING), desktop: true, secretStoreStatus: () => status });
    const http = createHttpControlApi({ baseUrl: gw.url, token: ADMIN_TOKEN });
    let chosen = 0;
    // The desktop path end to end but for Electron itself: the main process's IPC handlers
    // (sender check, Result values) over the HTTP API plus the desktop-only choice, reached from
    // the page through a stand-in for the preload's window.gatehouseBridge.
    const api: ControlApi = {
      ...http,
      chooseEncryptedFileSecrets: async () => {
        chosen++;
        status = { kind: 'encrypted-file', message: 'You chose the encrypted-file store; its key is in a file readable by your user account.' };
        return http.info();
      },
    };
    const ipc = createControlIpc({ api, isTrustedSender, watchServers: () => () => undefined });
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    cleanups.push(() => context.close());
    await context.exposeFunction('gatehouseInvoke', (method: unknown, args: unknown) => ipc.handleCall(APP_ENTRY_URL, method, args));
    await context.addInitScript(
      ({ url, name }) => {
        const invoke = (window as unknown as { gatehouseInvoke: (m: string, a: unknown[]) => Promise<unknown> }).gatehouseInvoke;
        (window as unknown as Record<string, unknown>)[name] = { gatewayUrl: url, invoke, subscribe: () => () => undefined };
      },
      { url: gw.url, name: BRIDGE_GLOBAL },
    );
    const page = await context.newPage();
    await page.goto(gw.url);
    // No login in the desktop window.
    await page.locator('#root[data-app-state="ready"]').waitFor();
    await openScreen(page, 'Settings');
    await page.getByTestId('app-version').filter({ hasText: 'Gatehouse' }).waitFor();
    expect(await page.getByText('Runs as').locator('xpath=following-sibling::dd[1]').textContent()).toBe('the desktop app');

    await page.getByRole('button', { name: 'Use an encrypted file instead' }).click();
    const dialog = page.getByRole('dialog', { name: 'Use an encrypted file for secrets?' });
    expect(await dialog.textContent()).toContain('your user account can read');
    expect(await dialog.textContent()).toContain('Gatehouse remembers this choice');
    await screenshots(page, 'settings-choose-encrypted-file', false);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(chosen).toBe(0);

    await page.getByRole('button', { name: 'Use an encrypted file instead' }).click();
    await dialog.getByRole('button', { name: 'Use an encrypted file' }).click();
    await page.getByTestId('secret-store-kind').filter({ hasText: 'Encrypted file' }).waitFor();
    expect(chosen).toBe(1);
    expect(await page.getByTestId('secret-store-message').textContent()).toContain('You chose the encrypted-file store');
    expect(await page.getByRole('button', { name: 'Use an encrypted file instead' }).count()).toBe(0);
    // The Secrets screen no longer says that no secret can be stored.
    await openScreen(page, 'Secrets');
    await page.getByRole('button', { name: 'Add secret' }).waitFor();
    expect(await page.getByRole('button', { name: 'Add secret' }).isDisabled()).toBe(false);
    expect(await page.getByTestId('secrets-unavailable').count()).toBe(0);
  });
});
