/**
 * The desktop app's start/quit lifecycle against the real gateway, with Electron's side effects
 * as fakes (clipboard, notifications, tray, dialogs): what the tray shows, what its actions do,
 * that Quit stops every backend, and the secret store's fail-closed rule.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerView } from '../../shared/control-api.js';
import { parseMcpServersConfig } from '../../shared/config-schema.js';
import { nullLogger } from '../../main/core/base/logger.js';
import { Registry } from '../../main/core/config/registry.js';
import { ApprovalStore } from '../../main/core/security/approvals.js';
import type { SafeStorageLike } from '../../main/core/security/safe-storage-store.js';
import { DesktopApp, type DesktopPorts, type TrayView } from '../../main/electron/desktop-app.js';
import type { Alert } from '../../main/electron/server-alerts.js';
import type { TrayMenuItem } from '../../main/electron/tray-model.js';
import { getFreePort } from '../fixtures/backends.js';
import { findPlaintext } from '../support/plaintext-scan.js';
import { isAlive } from '../support/processes.js';
import { FIXTURE_SERVER, SERVERS } from './harness.js';

/** A safeStorage that "encrypts" by reversing bytes: enough to see values never sit in clear. */
function fakeSafeStorage(backend = 'gnome_libsecret'): SafeStorageLike {
  return {
    isEncryptionAvailable: () => true,
    encryptString: (text) => Buffer.from(text, 'utf8').reverse(),
    decryptString: (blob) => Buffer.from(blob).reverse().toString('utf8'),
    getSelectedStorageBackend: () => backend,
  };
}

interface Harness {
  app: DesktopApp;
  dataDir: string;
  trays: TrayView[];
  clipboard: string[];
  alerts: Alert[];
  windows: Array<string | undefined>;
  exits: number;
  prefs: { encryptedFile: boolean };
  exportTo?: { file: string; format: 'jsonl' | 'csv' };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function desktop(
  mcpServers: Record<string, unknown>,
  opts: { port?: number; safeStorage?: SafeStorageLike; platform?: NodeJS.Platform } = {},
): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-desktop-'));
  const parsed = parseMcpServersConfig({ mcpServers });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const registry = await Registry.open(dataDir);
  await registry.importServers(parsed.servers);
  registry.dispose();
  const approvals = await ApprovalStore.open(dataDir);
  for (const [name, config] of Object.entries(parsed.servers)) await approvals.approve(name, config, 'config-file');
  approvals.dispose();

  let startAtLogin = false;
  const h: Harness = { dataDir, trays: [], clipboard: [], alerts: [], windows: [], exits: 0, prefs: { encryptedFile: false } } as unknown as Harness;
  const ports: DesktopPorts = {
    writeClipboard: (text) => void h.clipboard.push(text),
    notify: (alert) => void h.alerts.push(alert),
    showWindow: (hash) => void h.windows.push(hash),
    chooseExportFile: async () => h.exportTo,
    getStartAtLogin: () => startAtLogin,
    setStartAtLogin: (enabled) => void (startAtLogin = enabled),
    renderTray: (view) => void h.trays.push(view),
    openExternal: async () => undefined,
    exit: () => void h.exits++,
  };
  h.app = new DesktopApp({
    dataDir,
    port: opts.port ?? 0,
    logger: nullLogger,
    version: '9.9.9',
    platform: opts.platform ?? 'linux',
    env: {},
    safeStorage: opts.safeStorage ?? fakeSafeStorage(),
    prefs: { encryptedFileChosen: () => h.prefs.encryptedFile, setEncryptedFileChosen: (chosen) => void (h.prefs.encryptedFile = chosen) },
    ports,
    keyring: 'none',
  });
  cleanups.push(async () => {
    await h.app.quit();
    await rm(dataDir, { recursive: true, force: true });
  });
  return h;
}

const lastTray = (h: Harness): TrayView => h.trays.at(-1)!;

function flatten(items: TrayMenuItem[]): TrayMenuItem[] {
  return items.flatMap((item) => [item, ...flatten(item.submenu ?? [])]);
}

function labels(view: TrayView): string[] {
  return flatten(view.menu).map((item) => item.label ?? '');
}

async function until<T>(read: () => T | undefined, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const memory = { command: process.execPath, args: [SERVERS.memory] };

describe('desktop app lifecycle', () => {
  it('starts the gateway, shows it in the tray, serves the window, and Quit stops every backend', async () => {
    const h = await desktop({ memory });
    await h.app.startGateway();
    expect(h.app.gatewayState.state).toBe('running');
    const tray = lastTray(h);
    expect(tray.icon).toBe('tray-running.png');
    expect(tray.tooltip).toContain(h.app.url);
    expect(labels(tray).some((label) => label.includes('memory') && label.includes('running'))).toBe(true);

    // The window's control API reaches the gateway with the run's own admin token...
    const servers = await h.app.controlApi.listServers();
    const view = servers.find((s) => s.name === 'memory')!;
    expect(view.status).toBe('running');
    const pid = view.pid!;
    expect(isAlive(pid)).toBe(true);
    const tokens = await h.app.controlApi.listTokens();
    expect(tokens.find((t) => t.kind === 'admin')).toMatchObject({ ephemeral: true });
    // ...which other local processes do not have: /admin refuses them.
    expect((await fetch(`${h.app.url}/admin/servers`)).status).toBe(401);

    await h.app.quit();
    expect(h.exits).toBe(1);
    expect(isAlive(pid)).toBe(false);
    await h.app.quit();
    expect(h.exits).toBe(1);
  });

  it('rebuilds the tray when a server changes, and its actions act on the gateway', async () => {
    const h = await desktop({ memory });
    await h.app.startGateway();
    const updates: ServerView[][] = [];
    const unwatch = h.app.watchServers((servers) => updates.push(servers));
    const before = h.trays.length;

    await h.app.dispatch({ type: 'server', server: 'memory', op: 'stop' });
    await until(() => labels(lastTray(h)).some((l) => l.includes('memory') && l.includes('stopped')), 'the tray to show memory stopped');
    expect(h.trays.length).toBeGreaterThan(before);
    expect(updates.at(-1)!.find((s) => s.name === 'memory')!.status).toBe('stopped');

    // No change, no rebuild: the tray is not redrawn on a timer or for nothing.
    const count = h.trays.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.trays.length).toBe(count);

    await h.app.dispatch({ type: 'server', server: 'memory', op: 'start' });
    await until(() => updates.at(-1)?.find((s) => s.name === 'memory' && s.status === 'running'), 'memory to run again');
    unwatch();

    await h.app.dispatch({ type: 'copy-endpoint' });
    expect(h.clipboard.at(-1)).toBe(`${h.app.url}/mcp`);
    await h.app.dispatch({ type: 'copy-client-config', client: 'cursor' });
    expect(h.clipboard.at(-1)).toContain(`${h.app.url}/mcp`);
    expect(h.clipboard.at(-1)).not.toContain('Bearer ey');

    await h.app.dispatch({ type: 'open-audit' });
    expect(h.windows.at(-1)).toBe('#/audit');

  });

  it('offers Start at login where the system has login items, and ticks it when chosen', async () => {
    const h = await desktop({}, { platform: 'win32' });
    await h.app.startGateway();
    const box = (): TrayMenuItem | undefined => flatten(lastTray(h).menu).find((item) => item.label === 'Start at login');
    expect(box()?.checked).toBe(false);
    await h.app.dispatch(box()!.action!);
    expect(box()?.checked).toBe(true);
  });

  it('exports the audit log to the file the user picks', async () => {
    const h = await desktop({ memory });
    await h.app.startGateway();
    await h.app.controlApi.listServers();
    await h.app.dispatch({ type: 'server', server: 'memory', op: 'restart' });
    h.exportTo = { file: path.join(h.dataDir, 'export.jsonl'), format: 'jsonl' };
    await h.app.dispatch({ type: 'export-audit' });
    const lines = (await readFile(h.exportTo.file, 'utf8')).trim().split('\n');
    const events = lines.map((line) => JSON.parse(line) as { kind: string; server?: string; event?: string });
    expect(events.some((e) => e.kind === 'lifecycle' && e.server === 'memory' && e.event === 'start')).toBe(true);
    expect(h.alerts.at(-1)?.title).toBe('Audit log exported');
  });

  it('stops and starts the gateway from the tray; while stopped, the window is told so', async () => {
    const h = await desktop({ memory });
    await h.app.startGateway();
    const pid = (await h.app.controlApi.listServers())[0]!.pid!;
    await h.app.dispatch({ type: 'stop-gateway' });
    expect(isAlive(pid)).toBe(false);
    expect(lastTray(h).icon).toBe('tray-stopped.png');
    await expect(h.app.controlApi.listServers()).rejects.toMatchObject({ status: 503 });
    await h.app.dispatch({ type: 'start-gateway' });
    expect(h.app.gatewayState).toMatchObject({ state: 'running' });
    expect((await h.app.controlApi.listServers())[0]!.status).toBe('running');
  });

  it('says plainly when its port is taken, in the tray', async () => {
    const port = await getFreePort();
    const first = await desktop({}, { port });
    await first.app.startGateway();
    const second = await desktop({}, { port });
    await second.app.startGateway();
    expect(second.app.gatewayState).toMatchObject({ state: 'error' });
    expect(second.app.gatewayState.error).toContain(`port ${port} is already in use`);
    expect(lastTray(second).icon).toBe('tray-error.png');
  });

  it('notifies once when a server falls into error', async () => {
    const h = await desktop({ broken: { command: process.execPath, args: [FIXTURE_SERVER, '--crash-on-start'], restart: 'never' } });
    await h.app.startGateway();
    await until(() => h.alerts.find((a) => a.server === 'broken'), 'an alert about broken');
    expect(lastTray(h).icon).toBe('tray-error.png');
    await h.app.dispatch({ type: 'server', server: 'broken', op: 'restart' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    // The same failure again within the minute: the icon says it, no second pop-up.
    expect(h.alerts.filter((a) => a.server === 'broken')).toHaveLength(1);
  });
});

describe('desktop secret store', () => {
  it('keeps secrets with safeStorage, never in clear', async () => {
    const h = await desktop({});
    await h.app.startGateway();
    expect((await h.app.controlApi.info()).secretStore.kind).toBe('safe-storage');
    await h.app.controlApi.setSecret('github-token', 'ghp_desktopSecret123456');
    await h.app.quit();
    expect(await findPlaintext(h.dataDir, ['ghp_desktopSecret123456'])).toEqual([]);
  });

  it('fails closed without a keyring until the user chooses the encrypted file, and remembers it', async () => {
    const h = await desktop({}, { safeStorage: fakeSafeStorage('basic_text') });
    await h.app.startGateway();
    const info = await h.app.controlApi.info();
    expect(info.secretStore).toMatchObject({ kind: 'unavailable', canChooseEncryptedFile: true });
    expect(info.secretStore.message).toContain('basic_text');
    await expect(h.app.controlApi.setSecret('api-key', 'sk-nothingStored987654')).rejects.toMatchObject({ status: 503 });

    const after = await h.app.controlApi.chooseEncryptedFileSecrets();
    expect(after.secretStore.kind).toBe('encrypted-file');
    expect(h.prefs.encryptedFile).toBe(true);
    await h.app.controlApi.setSecret('api-key', 'sk-storedInTheFile987654');
    expect((await h.app.controlApi.listSecrets()).secrets.map((s) => s.name)).toEqual(['api-key']);
    await h.app.quit();
    expect(await findPlaintext(h.dataDir, ['sk-storedInTheFile987654', 'sk-nothingStored987654'])).toEqual([]);
  });
});
