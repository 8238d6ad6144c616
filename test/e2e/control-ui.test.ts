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
import { CLIENT_IDS } from '../../shared/client-configs/index.js';
import { packageVersion } from '../../main/core/version.js';
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

    // The log view puts the lifecycle events from the audit beside stderr, and follows them live.
    await card.getByRole('button', { name: 'Logs' }).click();
    const lifecycle = card.getByRole('region', { name: 'Lifecycle events of everything' });
    await lifecycle.locator('li[data-event="start"]').first().waitFor();
    await card.getByRole('region', { name: 'stderr of everything' }).waitFor();
    await card.getByRole('button', { name: 'Restart' }).click();
    const exit = lifecycle.locator('li[data-event="exit"]').first();
    await exit.waitFor({ timeout: 15_000 });
    expect(await exit.textContent()).toMatch(/signal SIG\w+|code \d+|stopped by the gateway/);
    await expect.poll(() => lifecycle.locator('li[data-event="start"]').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    await page.locator('li.server-card[data-server="everything"][data-status="running"]').waitFor({ timeout: 30_000 });
    await screenshots('servers-logs');
    await card.getByRole('button', { name: 'Logs' }).click();

    client = await clients.connect(`${gw.url}/mcp`, { headers: { authorization: `Bearer ${CLIENT_TOKEN}` } });
    expect(await aggregateToolNames()).toContain('everything__echo');
  });

  it('switches echo off on the Tools screen, and the aggregate drops everything__echo', async () => {
    await openScreen('Tools');
    await page.getByRole('switch', { name: 'Enable echo' }).waitFor();
    // The input schema, on demand.
    expect(await page.getByRole('table', { name: 'Parameters of get-sum' }).count()).toBe(0);
    await page.locator('summary[aria-label="Input schema of get-sum"]').click();
    const params = page.getByRole('table', { name: 'Parameters of get-sum' });
    await params.waitFor();
    const paramText = await params.textContent();
    expect(paramText).toContain('a');
    expect(paramText).toContain('number');
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

    // The chart counts the calls per server (a refused call is an error).
    await page.getByRole('button', { name: 'Clear' }).click();
    const chartRow = page.locator('.chart-row[data-server="everything"]');
    await expect.poll(async () => Number((await chartRow.getAttribute('data-calls', { timeout: 10_000 })) ?? 0), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    await expect.poll(async () => Number((await chartRow.getAttribute('data-errors')) ?? 0), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    expect(await chartRow.locator('svg[role="img"]').getAttribute('aria-label')).toMatch(/^everything: \d+ calls?, \d+ errors?$/);

    // A custom time range goes into the URL as since/until and survives a reload.
    await filters.getByLabel('Since', { exact: true }).selectOption('custom');
    await filters.getByLabel('From', { exact: true }).fill('2020-01-01T00:00');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => new URL(page.url()).hash).toMatch(/^#\/audit\?since=20\d\d-\d\d-\d\dT[^&]+$/);
    await page.reload();
    await page.locator('.audit-row', { hasText: 'tools/call get-sum' }).first().waitFor();
    expect(await page.getByRole('form', { name: 'Audit filters' }).getByLabel('From', { exact: true }).inputValue()).toBe('2020-01-01T00:00');
    await page.getByRole('form', { name: 'Audit filters' }).getByLabel('Until', { exact: true }).fill('2020-01-02T00:00');
    await page.getByRole('form', { name: 'Audit filters' }).getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => new URL(page.url()).hash).toContain('until=');
    await page.getByText('No event matches these filters').waitFor();
    await page.getByRole('region', { name: 'Calls and errors over time' }).getByText('No calls in this range').waitFor();
    await page.getByRole('form', { name: 'Audit filters' }).getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => new URL(page.url()).hash).toBe('#/audit');
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
    expect(await gw.secrets.get('memory-api_key')).toBe(API_KEY);
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

    // The picker offers every client the generators know.
    const picker = page.getByRole('form', { name: 'Client config' });
    const clientSelect = picker.getByLabel('Client', { exact: true });
    expect(await clientSelect.locator('option').count()).toBe(CLIENT_IDS.length);
    await clientSelect.selectOption('vscode');
    await expect.poll(() => new URL(page.url()).hash).toBe('#/clients?client=vscode');
    const snippet = page.getByTestId('client-snippet');
    await snippet.filter({ hasText: '${input:' }).waitFor();
    const vscodeText = (await snippet.textContent()) ?? '';
    expect(vscodeText).toContain(`${gw.url}/mcp`);
    for (const secret of [CLIENT_TOKEN, ADMIN_TOKEN, 'gth_']) expect(vscodeText).not.toContain(secret);
    const config = page.getByRole('region', { name: 'VS Code (user mcp.json) config' });
    expect(await config.getByRole('link', { name: /^Open in VS Code/ }).getAttribute('href')).toMatch(/^vscode:mcp\/install\?/);
    expect(await config.getByTestId('client-paths').textContent()).toContain('Code/User/mcp.json');
    await config.getByRole('button', { name: /^Copy .* snippet$/ }).waitFor();
    await screenshots('clients');

    // One server: the snippet points at its own endpoint.
    await picker.getByLabel('Servers', { exact: true }).selectOption('everything');
    await snippet.filter({ hasText: `${gw.url}/servers/everything/mcp` }).waitFor();

    // A command for Claude Code; a plain explanation for cloud connectors.
    await clientSelect.selectOption('claude-code');
    await snippet.filter({ hasText: 'claude mcp add' }).waitFor();
    await clientSelect.selectOption('claude-ai');
    await page.getByRole('region', { name: 'Claude.ai connectors config' }).getByRole('note').filter({ hasText: 'cannot reach Gatehouse on 127.0.0.1' }).waitFor();
    expect(await page.getByTestId('client-snippet').count()).toBe(0);
    await screenshots('clients-unreachable');
  });

  it('creates a client token that is shown once and works, then revokes it', async () => {
    await openScreen('Secrets');
    await page.getByRole('table', { name: 'Secrets' }).locator('tr[data-secret="memory-api_key"]').getByText('memory (env.API_KEY)').waitFor();
    await openScreen('Settings');
    expect(await page.getByTestId('gateway-host').textContent()).toBe('127.0.0.1');
    expect(await page.getByTestId('gateway-port').textContent()).toBe(new URL(gw.url).port);
    expect(await page.getByTestId('retention').textContent()).toContain('30 days');
    await page.getByText('gatehouse serve --host ADDRESS --port PORT').waitFor();
    // The version, and where secrets are: headless with no keyring, so the key is in a file, with the warning.
    await page.getByTestId('app-version').filter({ hasText: `Gatehouse ${await packageVersion()}` }).waitFor();
    const storeKind = page.getByTestId('secret-store-kind');
    expect(await storeKind.getAttribute('data-kind')).toBe('key-file');
    expect(await storeKind.textContent()).toBe('Encrypted file, key in a plain file');
    expect(await page.getByTestId('secret-store-message').textContent()).toContain('anyone who can read that file can read your secrets');
    // Choosing a store is the desktop app's: the browser UI does not offer it.
    expect(await page.getByRole('button', { name: 'Use an encrypted file instead' }).count()).toBe(0);
    await screenshots('settings');

    await openScreen('Tokens');
    const create = page.getByRole('form', { name: 'Create a token' });
    await create.getByLabel('Name').fill('e2e-laptop');
    await create.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.getByTestId('new-token').textContent())?.trim() ?? '';
    expect(secret).toMatch(/^gth_/);
    await page.locator('tr[data-token="e2e-laptop"]').waitFor();
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

  it('pins the theme in Settings, kept across a reload, and follows the OS again', async () => {
    await openScreen('Settings');
    const background = (): Promise<string> => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await background();
    await page.getByRole('radio', { name: 'Dark' }).check();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    const dark = await background();
    expect(dark).not.toBe(light);
    await page.reload();
    await page.locator('#root[data-app-state="ready"]').waitFor();
    expect(await background()).toBe(dark);
    expect(await page.getByRole('radio', { name: 'Dark' }).isChecked()).toBe(true);
    await page.getByRole('radio', { name: 'Follow the system' }).check();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBeUndefined();
    expect(await background()).toBe(light);
  });

  it('deletes a server after confirmation', async () => {
    await openScreen('Servers');
    await serverCard('memory').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete memory?' }).getByRole('button', { name: 'Delete' }).click();
    await serverCard('memory').waitFor({ state: 'detached' });
    expect(gw.gateway.serverConfig('memory')).toBeUndefined();
  });
});
