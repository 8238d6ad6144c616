/**
 * The control UI's newer flows in real Chromium, on a gateway set up as `gatehouse serve` sets it
 * up (support/gateway.ts) with real servers: the header's worst state, what each server card
 * says, folding tool groups, trying tools from a form drawn from their schemas, the audit's
 * figures following the filters, the Edit form's secret values, the Secrets and Tokens screens,
 * and installing a client's entry after a diff. Client files go to a temporary home folder (the
 * one difference from serve, which edits the real user's files). The steps run in order in one
 * page; screenshots go to test-artifacts/screenshots/.
 */
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientPool, SERVERS } from '../integration/harness.js';
import { launchChromium } from './support/browser.js';
import { ADMIN_TOKEN, startUiGateway, type UiGateway } from './support/gateway.js';
import { openScreen as goTo, screenshots as takeScreenshots, SHOTS } from './support/page.js';
import { buildUi } from './support/ui-build.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCHEMA_SERVER = path.join(root, 'test/fixtures/schema-server.mjs');
const ARG_KEY = 'sk-live-e2e-args-0123456789';

describe('control UI: trying tools, server facts, tokens, secrets and client installs', { timeout: 90_000 }, () => {
  let uiDir: string;
  let home: string;
  let gw: UiGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const clients = clientPool();

  beforeAll(async () => {
    browser = await launchChromium();
    uiDir = await buildUi();
    home = await mkdtemp(path.join(tmpdir(), 'gatehouse-e2e-home-'));
    gw = await startUiGateway(
      uiDir,
      {
        everything: { command: 'node', args: [SERVERS.everything, 'stdio', '--api-key', ARG_KEY] },
        schema: { command: 'node', args: [SCHEMA_SERVER] },
        broken: { command: 'node', args: [path.join(home, 'no-such-server.js')] },
        remote: { type: 'http', url: 'http://127.0.0.1:9/mcp', headers: { Authorization: 'Bearer ${secret:remote-token}' }, enabled: false },
      },
      {
        presetSecrets: { 'remote-token': 'remote-backend-credential' },
        clientInstall: { installEnv: { home, platform: 'linux', env: {} }, bridgeCommand: { command: process.execPath, args: ['/opt/gatehouse/cli.js'] } },
      },
    );
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gw.url });
    page = await context.newPage();
    await mkdir(SHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await clients.closeAll();
    await context?.close();
    await browser?.close();
    await gw?.stop();
    if (uiDir) await rm(uiDir, { recursive: true, force: true });
    if (home) await rm(home, { recursive: true, force: true });
  }, 60_000);

  const screenshots = (name: string, fullPage = true): Promise<void> => takeScreenshots(page, name, fullPage);
  const openScreen = (name: string): Promise<void> => goTo(page, name);

  const serverCard = (name: string) => page.locator(`li.server-card[data-server="${name}"]`);

  it('shows the sign-in error with its commands as code, then the worst state in the header', async () => {
    await page.goto(gw.url);
    await page.getByLabel('Admin token').fill('gth_not-a-token');
    await page.getByRole('button', { name: 'Open' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'does not open the admin API' });
    await alert.waitFor();
    expect(await alert.textContent()).not.toContain('`');
    expect(await alert.locator('code').allTextContents()).toEqual(['gatehouse serve', 'gatehouse tokens create NAME --admin']);

    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.locator('#root[data-app-state="ready"]').waitFor();
    // A server failing turns the header red, whatever runs beside it.
    const state = page.getByTestId('gateway-state');
    await page.locator('[data-testid="gateway-state"][data-state="failing"]').waitFor({ timeout: 30_000 });
    expect(await state.textContent()).toMatch(/^Gateway running with failing servers · \d of 4 servers running · 1 failing/);
    expect(await page.locator('.dot').getAttribute('class')).toContain('dot-failing');
  });

  it('says on each card what the server is, how long it has run, its last hour and last error, and copies its endpoint', async () => {
    const card = serverCard('everything');
    await page.locator('li.server-card[data-server="everything"][data-status="running"]').waitFor({ timeout: 30_000 });
    await page.locator('li.server-card[data-server="schema"][data-status="running"]').waitFor({ timeout: 30_000 });
    // The command line, with the key in the arguments masked.
    expect(await card.getByTestId('server-target').textContent()).toBe(`node ${SERVERS.everything} stdio --api-key ••••`);
    expect(await page.locator('body').innerText()).not.toContain(ARG_KEY);
    expect(await card.getByTestId('server-uptime').textContent()).toMatch(/^\d+ (s|min)$/);
    await card.getByTestId('server-hour').filter({ hasText: 'no calls' }).waitFor();
    expect(await card.getByTestId('server-endpoint').textContent()).toBe(`${gw.url}/servers/everything/mcp`);
    await card.getByRole('button', { name: 'Copy everything endpoint' }).click();
    await card.getByRole('button', { name: 'Copy everything endpoint' }).filter({ hasText: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${gw.url}/servers/everything/mcp`);

    const broken = serverCard('broken');
    await broken.getByTestId('server-last-error').filter({ hasText: /ago: / }).waitFor({ timeout: 30_000 });
    expect(await serverCard('remote').getByTestId('server-target').textContent()).toBe('http://127.0.0.1:9/mcp');
    await screenshots('servers-cards');
  });

  it('folds a tool group, remembers it across a reload, and counts tools per server', async () => {
    await openScreen('Tools');
    const group = page.locator('section.tool-group[data-server="everything"]');
    await group.locator('li.tool-row').first().waitFor();
    const total = await group.locator('li.tool-row').count();
    expect(await group.getByTestId('group-counts').textContent()).toBe(`${total} tools · ${total} on`);
    await group.getByRole('button', { name: 'everything', exact: true }).click();
    expect(await group.getAttribute('data-open')).toBe('false');
    expect(await group.locator('li.tool-row').count()).toBe(0);
    await page.reload();
    await page.locator('#root[data-app-state="ready"]').waitFor();
    await page.locator('section.tool-group[data-server="schema"] li.tool-row').first().waitFor();
    expect(await group.getAttribute('data-open')).toBe('false');
    expect(await group.getByRole('button', { name: 'everything', exact: true }).getAttribute('aria-expanded')).toBe('false');
    // A search shows matches in folded groups too, without unfolding them for later.
    await page.getByLabel('Search tools').fill('get-sum');
    await group.locator('li.tool-row[data-tool="get-sum"]').waitFor();
    expect(await group.getByTestId('group-counts').textContent()).toContain('1 match');
    await page.getByLabel('Search tools').fill('');
    expect(await group.locator('li.tool-row').count()).toBe(0);
    await group.getByRole('button', { name: 'everything', exact: true }).click();
    await group.locator('li.tool-row').first().waitFor();
  });

  it('tries tools from forms drawn from their schemas, with the result and its audit entry', async () => {
    // Numbers: get-sum.
    await page.getByRole('button', { name: 'Try get-sum' }).click();
    const sum = page.getByRole('form', { name: 'Try get-sum' });
    await sum.getByLabel('a', { exact: true }).fill('2');
    await sum.getByLabel('b', { exact: true }).fill('3');
    await sum.getByRole('button', { name: 'Run' }).click();
    const result = sum.getByTestId('try-result');
    await result.waitFor({ timeout: 20_000 });
    expect(await result.textContent()).toContain('5');
    expect(await result.getAttribute('data-outcome')).toBe('ok');
    const entry = sum.getByTestId('try-audit');
    // As the admin token (its name) from the control UI (the client's name).
    expect(await entry.locator('summary').textContent()).toMatch(/as env:GATEHOUSE_ADMIN_TOKEN · gatehouse-control-ui$/);
    await screenshots('tools-try');
    await sum.getByRole('button', { name: 'Close' }).click();

    // An image.
    await page.getByRole('button', { name: 'Try get-tiny-image' }).click();
    const image = page.getByRole('form', { name: 'Try get-tiny-image' });
    await image.getByRole('button', { name: 'Run' }).click();
    const img = image.locator('img.result-image');
    await img.waitFor({ timeout: 20_000 });
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    await image.getByRole('button', { name: 'Close' }).click();

    // An enum, and structured content.
    await page.getByRole('button', { name: 'Try get-structured-content' }).click();
    const weather = page.getByRole('form', { name: 'Try get-structured-content' });
    await weather.getByLabel('location', { exact: true }).selectOption('Chicago');
    await weather.getByRole('button', { name: 'Run' }).click();
    const structured = weather.getByTestId('structured-content');
    await structured.waitFor({ timeout: 20_000 });
    expect(JSON.parse((await structured.textContent()) ?? '{}')).toMatchObject({ temperature: 36 });
    await weather.getByRole('button', { name: 'Close' }).click();
  });

  it('draws integers, booleans, arrays, nested objects and a JSON fallback, and sends exactly what was filled', async () => {
    await page.getByRole('button', { name: 'Try plan_trip' }).click();
    const form = page.getByRole('form', { name: 'Try plan_trip' });
    // Required arguments left out are named before anything is sent.
    await form.getByRole('button', { name: 'Run' }).click();
    const problems = form.locator('.problem-list');
    await problems.waitFor();
    expect(await problems.textContent()).toContain('title: required');
    expect(await problems.textContent()).toContain('traveller.name: required');

    await form.getByLabel('title', { exact: true }).fill('Lisbon');
    await form.getByLabel('days', { exact: true }).fill('2.5');
    await form.getByText('2.5 is not a whole number').waitFor();
    await form.getByLabel('days', { exact: true }).fill('3');
    await form.getByLabel('refundable', { exact: true }).selectOption('true');
    await form.getByLabel('mode', { exact: true }).selectOption('plane');
    await form.getByRole('button', { name: 'Add to tags' }).click();
    await form.getByLabel('tags[0]', { exact: true }).fill('sea');
    await form.getByRole('button', { name: 'Add to tags' }).click();
    await form.getByLabel('tags[1]', { exact: true }).fill('food');
    await form.getByRole('button', { name: 'Add to stops' }).click();
    const stop = form.locator('fieldset[data-field="stops[0]"]');
    await stop.getByLabel('city', { exact: true }).fill('Porto');
    await stop.getByLabel('nights', { exact: true }).fill('2');
    await form.locator('fieldset[data-field="traveller"]').getByLabel('name', { exact: true }).fill('Ada');
    await form.getByLabel('extra', { exact: true }).fill('42');
    await screenshots('tools-try-form');
    await form.getByRole('button', { name: 'Run' }).click();
    const structured = form.getByTestId('structured-content');
    await structured.waitFor({ timeout: 20_000 });
    const sent = { title: 'Lisbon', days: 3, refundable: true, mode: 'plane', tags: ['sea', 'food'], stops: [{ city: 'Porto', nights: 2 }], traveller: { name: 'Ada' }, extra: 42 };
    expect(JSON.parse((await structured.textContent()) ?? '{}')).toEqual({ received: sent });

    // The same arguments as JSON, editable as such.
    await form.getByRole('radio', { name: 'JSON' }).check();
    const json = form.getByLabel('Arguments (JSON object)');
    expect(JSON.parse(await json.inputValue())).toEqual(sent);
    await json.fill(JSON.stringify({ ...sent, days: 4 }));
    await form.getByRole('button', { name: 'Run' }).click();
    await expect.poll(async () => JSON.parse((await structured.textContent()) ?? '{}').received?.days, { timeout: 20_000 }).toBe(4);
    await form.getByRole('button', { name: 'Close' }).click();
  });

  it('keeps the audit figures in step with the filters, in words that count right, in columns that fit', async () => {
    await openScreen('Audit');
    const filters = page.getByRole('form', { name: 'Audit filters' });
    await filters.getByLabel('Server', { exact: true }).fill('schema');
    await filters.getByRole('button', { name: 'Apply' }).click();
    const stats = page.locator('.stats[aria-label="Per-server figures"]');
    const schemaStat = page.locator('.stat[data-server="schema"]');
    await schemaStat.waitFor();
    await expect.poll(() => page.locator('.stat').count()).toBe(1);
    await expect.poll(async () => Number(await schemaStat.getAttribute('data-calls'))).toBeGreaterThanOrEqual(2);
    expect(await stats.textContent()).toMatch(/schema \d+ calls · 0 errors/);
    // The figures follow the filter the chart follows: the same server, the same count.
    const chartRow = page.locator('.chart-row[data-server="schema"]');
    await expect.poll(async () => await chartRow.getAttribute('data-calls')).toBe(await schemaStat.getAttribute('data-calls'));

    await filters.getByLabel('Server', { exact: true }).fill('everything');
    await filters.getByLabel('Tool', { exact: true }).fill('get-tiny-image');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await page.locator('.stat[data-server="everything"][data-calls="1"]').waitFor();
    expect(await page.locator('.stat[data-server="everything"]').textContent()).toMatch(/^everything 1 call · 0 errors/);

    // The outcome pill stays clear of the duration, and the client's name is not cut while there is room.
    const row = page.locator('.audit-row', { hasText: 'tools/call get-tiny-image' }).first();
    await row.waitFor();
    const pill = await row.locator('.outcome-cell .badge').boundingBox();
    const ms = await row.locator('.duration-cell').boundingBox();
    expect(pill!.x + pill!.width).toBeLessThanOrEqual(ms!.x);
    const client = row.locator('span.ellipsis').nth(1);
    expect(await client.textContent()).toBe('env:GATEHOUSE_ADMIN_TOKEN · gatehouse-control-ui');
    expect(await client.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    await screenshots('audit-filtered');
    await filters.getByRole('button', { name: 'Clear' }).click();
  });

  it('ticks "secret" in the Edit form for a header held in the secret store, and names the secret', async () => {
    await openScreen('Servers');
    await serverCard('remote').getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('form', { name: 'Edit remote' });
    expect(await form.getByLabel('header 1 name').inputValue()).toBe('Authorization');
    expect(await form.getByRole('checkbox', { name: 'secret' }).isChecked()).toBe(true);
    expect(await form.getByTestId('secret-ref').textContent()).toBe('in remote-token');
    // A new value replaces the secret it lives in; the config keeps its reference and scheme.
    await form.getByLabel('header 1 value').fill('Bearer rotated-from-the-form');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    expect(await gw.secrets.get('remote-token')).toBe('rotated-from-the-form');
    expect(gw.gateway.serverConfig('remote')).toMatchObject({ headers: { Authorization: 'Bearer ${secret:remote-token}' } });
  });

  it('sets, rotates and deletes secrets, warning about a doubled scheme and about servers that use one', async () => {
    await openScreen('Secrets');
    const row = page.locator('tr[data-secret="remote-token"]');
    expect(await row.textContent()).toContain('remote (headers.Authorization)');
    await row.getByRole('button', { name: 'Rotate remote-token' }).click();
    const rotate = page.getByRole('dialog', { name: 'Rotate remote-token' });
    await rotate.getByLabel('New value').fill('Bearer new-credential');
    await rotate.getByTestId('doubled-scheme').waitFor();
    expect(await rotate.getByTestId('doubled-scheme').textContent()).toContain('headers.Authorization of remote');
    await screenshots('secrets-rotate', false);
    await rotate.getByRole('button', { name: 'Remove “Bearer ” from the value' }).click();
    expect(await rotate.getByLabel('New value').inputValue()).toBe('new-credential');
    await rotate.getByRole('button', { name: 'Store', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Secret “remote-token” replaced' }).waitFor();
    expect(await gw.secrets.get('remote-token')).toBe('new-credential');

    const add = page.getByRole('form', { name: 'Add a secret' });
    await add.getByLabel('Name').fill('spare-key');
    await add.getByLabel('Value').fill('spare-value');
    await add.getByRole('button', { name: 'Add secret' }).click();
    await page.locator('tr[data-secret="spare-key"]').waitFor();
    expect(await gw.secrets.get('spare-key')).toBe('spare-value');
    expect(await page.locator('body').innerText()).not.toMatch(/spare-value|new-credential/);
    await screenshots('secrets');

    await row.getByRole('button', { name: 'Delete remote-token' }).click();
    const del = page.getByRole('dialog', { name: 'Delete remote-token?' });
    expect(await del.getByTestId('delete-in-use').textContent()).toContain('Server remote uses it');
    await del.getByRole('button', { name: 'Delete it anyway' }).click();
    await row.getByText('not set').waitFor();
    expect(await gw.secrets.get('remote-token')).toBeUndefined();
  });

  it('creates a token limited to one server and some of its tools, and the token sees just those', async () => {
    await openScreen('Tokens');
    const form = page.getByRole('form', { name: 'Create a token' });
    await form.getByLabel('Name').fill('sum-only');
    await form.getByRole('radio', { name: /^Only these/ }).check();
    await form.getByRole('checkbox', { name: 'everything' }).check();
    await form.getByLabel('Only these tools').fill('get-*');
    await form.getByLabel('Never these tools').fill('get-env, get-tiny-image');
    const preview = form.getByTestId('token-preview');
    await preview.filter({ hasText: 'everything/get-sum' }).waitFor();
    expect(await preview.textContent()).not.toContain('get-env');
    expect(await preview.textContent()).not.toContain('schema/');
    await screenshots('tokens');
    await form.getByRole('button', { name: 'Create token' }).click();
    const secret = ((await page.getByTestId('new-token').textContent()) ?? '').trim();
    expect(secret).toMatch(/^gth_/);
    const listed = page.locator('tr[data-token="sum-only"]');
    expect(await listed.textContent()).toContain('only get-*; not get-env, get-tiny-image');

    const viaToken = await clients.connect(`${gw.url}/mcp`, { headers: { authorization: `Bearer ${secret}` } });
    const names = (await viaToken.listTools()).tools.map((t) => t.name);
    expect(names).toContain('everything__get-sum');
    expect(names.every((n) => n.startsWith('everything__get-'))).toBe(true);
    expect(names).not.toContain('everything__get-env');
    expect(names).not.toContain('everything__get-tiny-image');
    expect(names.some((n) => n.startsWith('schema__'))).toBe(false);
  });

  it('installs a client entry after showing the diff, and removes it again', async () => {
    await openScreen('Clients');
    await page.getByRole('form', { name: 'Client config' }).getByLabel('Client', { exact: true }).selectOption('cursor');
    const panel = page.getByTestId('client-install');
    const file = path.join(home, '.cursor', 'mcp.json');
    await panel.getByTestId('install-file').filter({ hasText: file }).waitFor();
    await panel.getByRole('button', { name: 'Install…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Install in Cursor?' });
    const diff = dialog.getByTestId('client-diff');
    await diff.waitFor();
    expect(await diff.textContent()).toContain(`"url": "${gw.url}/mcp"`);
    // The reference to the token stays readable; nothing in the diff is a credential.
    expect(await diff.textContent()).toContain('"Authorization": "Bearer ${env:GATEHOUSE_TOKEN}"');
    expect(await dialog.locator('.diff-add').count()).toBeGreaterThan(3);
    await screenshots('clients-install-diff', false);
    await dialog.getByRole('button', { name: 'Install', exact: true }).click();
    const outcome = page.getByTestId('install-outcome');
    await outcome.waitFor();
    const token = ((await outcome.getByTestId('install-token').textContent()) ?? '').trim();
    expect(token).toMatch(/^gth_/);
    const written = JSON.parse(await readFile(file, 'utf8')) as { mcpServers: Record<string, { url: string }> };
    expect(written.mcpServers.gatehouse?.url).toBe(`${gw.url}/mcp`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const viaToken = await clients.connect(`${gw.url}/mcp`, { headers: { authorization: `Bearer ${token}` } });
    expect((await viaToken.listTools()).tools.length).toBeGreaterThan(0);

    await panel.getByRole('button', { name: 'Remove…' }).click();
    const remove = page.getByRole('dialog', { name: 'Remove from Cursor?' });
    await remove.getByTestId('client-diff').waitFor();
    expect(await remove.locator('.diff-del').count()).toBeGreaterThan(3);
    await remove.getByRole('button', { name: 'Remove', exact: true }).click();
    await outcome.filter({ hasText: 'Revoked 1 token' }).waitFor();
    expect((JSON.parse(await readFile(file, 'utf8')) as { mcpServers: object }).mcpServers).toEqual({});
    await panel.getByRole('button', { name: 'Install…' }).waitFor();

    // Where the admin says the browser is elsewhere, it offers the snippet instead.
    await panel.getByRole('checkbox', { name: 'This browser runs on another computer than the gateway' }).check();
    await panel.getByTestId('install-elsewhere').waitFor();
    expect(await panel.getByRole('button', { name: 'Install…' }).count()).toBe(0);
    await page.reload();
    await page.locator('#root[data-app-state="ready"]').waitFor();
    await page.getByTestId('install-elsewhere').waitFor();
    await page.getByTestId('client-snippet').waitFor();
    await page.getByRole('checkbox', { name: 'This browser runs on another computer than the gateway' }).uncheck();
    await page.getByRole('button', { name: 'Install…' }).waitFor();
  });
});
