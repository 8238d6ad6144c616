/**
 * The control UI end to end: the renderer served by a headless gateway, in real Chromium,
 * against real MCP servers from npm. The steps build on each other (a server added through the
 * form is the one whose tool is switched off, called and found on the timeline), so they run in
 * order in one browser page. Screenshots of every screen, light and dark, go to
 * test-artifacts/screenshots/.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientPool, SERVERS, text } from '../integration/harness.js';
import { launchChromium } from './support/browser.js';
import { ADMIN_TOKEN, CLIENT_TOKEN, startUiGateway, type UiGateway } from './support/gateway.js';
import { buildUi } from './support/ui-build.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = path.join(root, 'test-artifacts/screenshots');
const API_KEY = 'sk-live-e2e-0123456789abcdef';

describe('control UI in Chromium', { timeout: 60_000 }, () => {
  let uiDir: string;
  let gw: UiGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const clients = clientPool();
  let client: Client;

  beforeAll(async () => {
    // Chromium first: when it is missing, say so before spending time on the rest.
    browser = await launchChromium();
    uiDir = await buildUi();
    gw = await startUiGateway(uiDir);
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
    page = await context.newPage();
    await mkdir(SHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await clients.closeAll();
    await context?.close();
    await browser?.close();
    await gw?.stop();
    if (uiDir) await rm(uiDir, { recursive: true, force: true });
  }, 60_000);

  /** Both colour schemes of what is on screen now. */
  async function screenshots(name: string): Promise<void> {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await page.screenshot({ path: path.join(SHOTS, `${name}-${colorScheme}.png`), fullPage: true });
    }
    await page.emulateMedia({ colorScheme: 'light' });
  }

  async function openScreen(name: string): Promise<void> {
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
  }

  const serverCard = (name: string) => page.locator(`li.server-card[data-server="${name}"]`);

  async function aggregateToolNames(): Promise<string[]> {
    return (await client.listTools()).tools.map((t) => t.name);
  }

  it('serves the page with a strict CSP and asks for the admin token', async () => {
    const response = await page.goto(gw.url);
    expect(response?.status()).toBe(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    await page.getByLabel('Admin token').waitFor();
    await screenshots('login');

    await page.getByLabel('Admin token').fill(CLIENT_TOKEN);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByRole('alert').filter({ hasText: 'does not open the admin API' }).waitFor();

    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.locator('#root[data-app-state="ready"]').waitFor();
    await page.getByText('No servers yet').waitFor();
    expect(await page.getByTestId('endpoint').textContent()).toBe(`${gw.url}/mcp`);
    await screenshots('servers-empty');

    // The token lives in sessionStorage: a reload keeps the session.
    await page.reload();
    await page.locator('#root[data-app-state="ready"]').waitFor();
  });

  it('adds server-everything through the form, validating as you type, and sees it running after approval', async () => {
    await page.getByRole('button', { name: 'Add server' }).click();
    const form = page.getByRole('form', { name: 'Add server' });
    await form.getByLabel('Name', { exact: true }).fill('every thing');
    await form.getByLabel('Command', { exact: true }).fill('node');
    // Same messages as the gateway's own validation, before anything is sent.
    await form.getByText('name may contain only letters, digits, "-" and "_"').waitFor();
    expect(await form.getByRole('button', { name: 'Add server' }).isDisabled()).toBe(true);
    await form.getByLabel('Name', { exact: true }).fill('everything');
    await form.getByRole('button', { name: 'Add argument' }).click();
    await form.getByLabel('Argument 1', { exact: true }).fill(SERVERS.everything);
    expect(await form.locator('.problem-list').count()).toBe(0);
    await form.getByRole('button', { name: 'Add server' }).click();

    // Added through the admin API, a stdio server waits for its launch to be approved.
    const card = serverCard('everything');
    await card.getByRole('group', { name: 'Approval of everything' }).waitFor();
    expect(await card.locator('.command-line').textContent()).toContain(SERVERS.everything);
    await screenshots('servers-approval');
    await card.getByRole('button', { name: 'Approve and start everything' }).click();
    await page.locator('li.server-card[data-server="everything"][data-status="running"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('gateway-state').filter({ hasText: '1 of 1 server running' }).waitFor();

    client = await clients.connect(`${gw.url}/mcp`, { headers: { authorization: `Bearer ${CLIENT_TOKEN}` } });
    expect(await aggregateToolNames()).toContain('everything__echo');
  });

  it('switches echo off on the Tools screen, and the aggregate drops everything__echo', async () => {
    await openScreen('Tools');
    await page.getByRole('switch', { name: 'Enable echo' }).waitFor();
    await screenshots('tools');
    await page.getByLabel('Search tools').fill('echo');
    expect(await page.locator('li.tool-row').count()).toBe(1);
    await page.getByRole('switch', { name: 'Enable echo' }).click();
    await page.locator('[role="switch"][aria-label="Enable echo"][aria-checked="false"]').waitFor();

    await expect.poll(aggregateToolNames, { timeout: 10_000 }).not.toContain('everything__echo');
    expect(await aggregateToolNames()).toContain('everything__get-sum');
    expect(gw.gateway.serverConfig('everything')?.toolFilter).toEqual({ block: ['echo'] });
  });

  it('shows a call live on the timeline with its outcome, filters it and exports it', async () => {
    await openScreen('Audit');
    await page.locator('.live-on').waitFor();

    const sum = await client.callTool({ name: 'everything__get-sum', arguments: { a: 2, b: 3 } });
    expect(text(sum)).toContain('5');
    // Live: no reload, the row arrives over /admin/audit/stream.
    const row = page.locator('.audit-row', { hasText: 'tools/call get-sum' }).first();
    await row.waitFor();
    expect(await row.getAttribute('data-outcome')).toBe('ok');
    expect(await row.locator('.badge').textContent()).toBe('ok');

    // A call to the tool switched off is refused by the gateway and recorded as such.
    const refused = await client.callTool({ name: 'everything__echo', arguments: { message: 'hi' } }).catch((error: unknown) => error);
    expect(refused).toBeDefined();
    const refusedRow = page.locator('.audit-row', { hasText: 'tools/call echo' }).first();
    await refusedRow.waitFor();
    expect(['filtered', 'rpc_error', 'tool_error']).toContain(await refusedRow.getAttribute('data-outcome'));

    await row.click();
    const detail = page.getByRole('complementary', { name: 'Event detail' });
    expect(await detail.locator('pre.json').textContent()).toContain('"target": "get-sum"');
    await screenshots('audit');

    // Filters go into the URL and survive a reload.
    const filters = page.getByRole('form', { name: 'Audit filters' });
    await filters.getByLabel('Tool', { exact: true }).fill('get-sum');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => new URL(page.url()).hash).toBe('#/audit?tool=get-sum');
    await page.reload();
    await page.locator('.audit-row', { hasText: 'tools/call get-sum' }).first().waitFor();
    expect(await page.locator('.audit-row', { hasText: 'tools/call echo' }).count()).toBe(0);
    expect(await page.getByRole('form', { name: 'Audit filters' }).getByLabel('Tool', { exact: true }).inputValue()).toBe('get-sum');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^gatehouse-audit-.*\.csv$/);
    const csv = await readFile((await download.path())!, 'utf8');
    const lines = csv.trim().split('\n');
    expect(lines[0]).toContain('outcome');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.slice(1).every((line) => line.includes('get-sum'))).toBe(true);

    const [jsonl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSONL' }).click()]);
    const events = (await readFile((await jsonl.path())!, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { target?: string });
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.target === 'get-sum')).toBe(true);
  });

  it('imports a pasted Claude Desktop config, with its API key masked and moved to the secret store', async () => {
    await openScreen('Servers');
    await page.getByRole('button', { name: 'Import config' }).click();
    const config = {
      mcpServers: {
        memory: { command: 'node', args: [SERVERS.memory], env: { API_KEY: API_KEY, MEMORY_FILE_PATH: path.join(gw.dataDir, 'memory.json') } },
      },
      globalShortcut: 'Ctrl+Space',
    };
    await page.getByLabel('Config JSON').fill(JSON.stringify(config, null, 2));
    const preview = page.getByRole('table', { name: 'Import preview' });
    await preview.waitFor();
    expect(await preview.textContent()).toContain('env.API_KEY');
    expect(await preview.textContent()).toContain('${secret:memory-api_key}');
    expect(await preview.locator('.masked').textContent()).toMatch(/^sk•+ \(\d+ chars\)$/);
    // Only the textarea, which the user typed into, holds the key; nothing rendered shows it.
    expect(await page.locator('body').innerText()).not.toContain(API_KEY);
    await screenshots('servers-import');

    await page.getByRole('button', { name: 'Import 1 server' }).click();
    await serverCard('memory').waitFor();
    expect(gw.gateway.serverConfig('memory')).toMatchObject({ env: { API_KEY: '${secret:memory-api_key}' } });
    expect(await gw.secrets.store.get('memory-api_key')).toBe(API_KEY);
    await serverCard('memory').getByRole('button', { name: 'Approve and start memory' }).click();
    await page.locator('li.server-card[data-server="memory"][data-status="running"]').waitFor({ timeout: 30_000 });

    // Editing shows the env var as hidden, and saving keeps its reference.
    await serverCard('memory').getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('form', { name: 'Edit memory' });
    expect(await form.getByLabel('variable 1 value').getAttribute('placeholder')).toBe('(unchanged, hidden)');
    await screenshots('servers-edit');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    expect(gw.gateway.serverConfig('memory')).toMatchObject({ env: { API_KEY: '${secret:memory-api_key}' } });
    expect(await page.locator('body').innerText()).not.toContain(API_KEY);
    await screenshots('servers');
  });

  it('shows copy-ready client configs for the aggregate and each server', async () => {
    await openScreen('Clients');
    await page.getByRole('region', { name: 'All servers (aggregate)' }).getByText(`${gw.url}/mcp`, { exact: true }).waitFor();
    await page.getByRole('region', { name: 'Only everything' }).getByText(`${gw.url}/servers/everything/mcp`, { exact: true }).waitFor();
    await screenshots('clients');
  });

  it('creates a client token that is shown once and works, then revokes it', async () => {
    await openScreen('Settings');
    const create = page.getByRole('form', { name: 'Create a token' });
    await create.getByLabel('Name').fill('e2e-laptop');
    await create.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.getByTestId('new-token').textContent())?.trim() ?? '';
    expect(secret).toMatch(/^gth_/);
    await page.locator('tr[data-token="e2e-laptop"]').waitFor();
    await page.getByRole('table', { name: 'Secrets' }).getByText('memory-api_key').waitFor();
    await screenshots('settings');

    const viaToken = await clients.connect(`${gw.url}/mcp`, { headers: { authorization: `Bearer ${secret}` } });
    expect((await viaToken.listTools()).tools.length).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByTestId('new-token').count()).toBe(0);

    await page.getByRole('button', { name: 'Revoke e2e-laptop' }).click();
    await page.getByRole('dialog', { name: 'Revoke e2e-laptop?' }).getByRole('button', { name: 'Revoke' }).click();
    await page.locator('tr[data-token="e2e-laptop"]').waitFor({ state: 'detached' });
    const after = await fetch(`${gw.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(after.status).toBe(401);
  });

  it('deletes a server after confirmation', async () => {
    await openScreen('Servers');
    await serverCard('memory').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete memory?' }).getByRole('button', { name: 'Delete' }).click();
    await serverCard('memory').waitFor({ state: 'detached' });
    expect(gw.gateway.serverConfig('memory')).toBeUndefined();
  });
});
