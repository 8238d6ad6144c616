/**
 * The limits in Settings, in real Chromium against a gateway opened as `serve` opens it (issue
 * 16): every limit of the gateway is shown and editable, a refused value shows its message by
 * its field and saves nothing, a live limit is in force as soon as it is saved, a restart limit
 * says it waits for the next start, and a `serve` flag locks its limit. The steps build on
 * each other, in one page.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, limitKeys } from '../../main/core/security/limits.js';
import { bearer } from '../integration/harness.js';
import { launchChromium } from './support/browser.js';
import { ADMIN_TOKEN, startUiGateway, type UiGateway } from './support/gateway.js';
import { buildUi } from './support/ui-build.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = path.join(root, 'test-artifacts/screenshots');

describe('limits in Settings, in Chromium', { timeout: 60_000 }, () => {
  let uiDir: string;
  let gw: UiGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium();
    uiDir = await buildUi();
    // As `gatehouse serve --keep-alive-timeout ...` would: a limit set by a flag.
    gw = await startUiGateway(uiDir, {}, { limits: { keepAliveTimeoutMs: 4_000 } });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    await mkdir(SHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await gw?.stop();
    if (uiDir) await rm(uiDir, { recursive: true, force: true });
  }, 60_000);

  const row = (key: string) => page.locator(`.limit-row[data-limit="${key}"]`);
  const limitsForm = () => page.getByRole('form', { name: 'Limits' });

  function initialize(token: string): Promise<Response> {
    return fetch(`${gw.url}/mcp`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
  }

  it('shows every limit with its value, unit, default and when a change applies; a flag locks its limit', async () => {
    await page.goto(gw.url);
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.locator('#root[data-app-state="ready"]').waitFor();
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Settings' }).click();
    await limitsForm().waitFor();

    expect(await page.locator('.limit-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-limit')))).toEqual(limitKeys());
    expect(await limitsForm().getByLabel('Open sessions', { exact: true }).inputValue()).toBe(String(DEFAULT_LIMITS.maxSessions));
    expect(await row('maxBodyBytes').textContent()).toContain('Default 4194304 bytes (4 MiB).');
    expect(await row('ratePerSecond').getByTestId('applies').textContent()).toBe('Applies at once.');
    expect(await row('maxSessions').getByTestId('applies').textContent()).toBe('Applies at the next start of the gateway.');
    const flagged = limitsForm().getByLabel('Idle connection timeout', { exact: true });
    expect(await flagged.inputValue()).toBe('4000');
    expect(await flagged.isDisabled()).toBe(true);
    expect(await row('keepAliveTimeoutMs').textContent()).toContain('Set by a gatehouse serve flag');
    await page.locator('section[aria-labelledby="limits-title"]').screenshot({ path: path.join(SHOTS, 'settings-limits.png') });
  });

  it('shows the gateway’s message by the field it refuses, and saves nothing', async () => {
    await limitsForm().getByLabel('Open sessions', { exact: true }).fill('0');
    await limitsForm().getByLabel('Request burst per token', { exact: true }).fill('12');
    await limitsForm().getByRole('button', { name: 'Save limits' }).click();
    const error = row('maxSessions').locator('.error-text');
    await error.waitFor();
    expect(await error.textContent()).toBe('must be a whole number of at least 1, not 0');
    expect(await limitsForm().getByLabel('Open sessions', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await row('rateBurst').locator('.error-text').count()).toBe(0);
    expect(gw.registry.settings().limits).toEqual({});
  });

  it('saves a live limit, in force at once, and a restart limit that says it waits', async () => {
    await limitsForm().getByLabel('Open sessions', { exact: true }).fill('3');
    await limitsForm().getByLabel('Request burst per token', { exact: true }).fill('2');
    await limitsForm().getByLabel('Requests per token per second', { exact: true }).fill('0.01');
    await limitsForm().getByRole('button', { name: 'Save limits' }).click();
    await limitsForm().getByRole('status').filter({ hasText: 'Open sessions: applies at the next start of the gateway.' }).waitFor();
    expect(gw.registry.settings().limits).toEqual({ maxSessions: 3, rateBurst: 2, ratePerSecond: 0.01 });
    expect(await row('maxSessions').getByTestId('pending').textContent()).toContain('In force until the gateway restarts: 256.');
    expect(await row('rateBurst').getByTestId('pending').count()).toBe(0);

    // The burst of 2 holds for a client at once.
    const token = await gw.createToken('laptop');
    expect((await initialize(token.secret)).status).toBe(200);
    expect((await initialize(token.secret)).status).toBe(200);
    expect((await initialize(token.secret)).status).toBe(429);
  });

  it('puts a limit back to its default', async () => {
    await row('rateBurst').getByRole('button', { name: 'Use the default for Request burst per token' }).click();
    await expect.poll(() => limitsForm().getByLabel('Request burst per token', { exact: true }).inputValue()).toBe(String(DEFAULT_LIMITS.rateBurst));
    expect(gw.registry.settings().limits).toEqual({ maxSessions: 3, ratePerSecond: 0.01 });
    // After a reload, what was saved is what is shown.
    await page.reload();
    await limitsForm().waitFor();
    expect(await limitsForm().getByLabel('Open sessions', { exact: true }).inputValue()).toBe('3');
    expect(await limitsForm().getByLabel('Requests per token per second', { exact: true }).inputValue()).toBe('0.01');
  });
});
