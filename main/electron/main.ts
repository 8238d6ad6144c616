/**
 * Entry point of the desktop app: the thin Electron shell around {@link DesktopApp}. Every
 * decision lives in plain modules tested under Node (tray-model, window-policy, app-protocol,
 * ipc-handlers, secret-store-choice, desktop-app); this file only connects them to Electron.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, clipboard, dialog, ipcMain, Menu, nativeImage, Notification, protocol, safeStorage, screen, session, shell, Tray } from 'electron';
import { IPC_CHANNELS } from '../../shared/control-ipc.js';
import { createLogger } from '../core/base/logger.js';
import { DATA_DIR_ENV } from '../core/config/data-dir.js';
import { packageVersion } from '../core/version.js';
import { serveAppRequest } from './app-protocol.js';
import { DesktopApp, type TrayView } from './desktop-app.js';
import { createControlIpc } from './ipc-handlers.js';
import { autostartFile, isAutostartEnabled, launchCommand, setAutostart } from './linux-autostart.js';
import { openPrefs } from './prefs.js';
import { toMenuTemplate } from './tray-model.js';
import { APP_ENTRY_URL, APP_SCHEME, externalLinkDecision, isTrustedSender, mainWindowOptions, navigationDecision, restoreBounds } from './window-policy.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const RENDERER_DIR = path.join(root, 'dist', 'renderer');
const PRELOAD = path.join(root, 'dist', 'preload', 'preload.cjs');
const TRAY_ICONS = path.join(root, 'main', 'electron', 'resources', 'tray');
/** Launched at login with this flag: stay in the tray. */
const HIDDEN_FLAG = '--hidden';
const DEFAULT_PORT = 7420;

// Must happen before `ready`: the UI is served from app://gatehouse/, a secure standard origin.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

// The headless gateway honours GATEHOUSE_DATA_DIR too; both then share one registry and audit.
const dataDir = process.env[DATA_DIR_ENV] || app.getPath('userData');
if (process.env[DATA_DIR_ENV]) app.setPath('userData', dataDir);
// Chromium's own caches and storage go in a subfolder, beside (not among) the gateway's files.
app.setPath('sessionData', path.join(dataDir, 'electron'));

if (!app.requestSingleInstanceLock()) {
  // A second launch: the first one shows its window (below), this one leaves.
  app.quit();
} else {
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      dialog.showErrorBox('Gatehouse could not start', error instanceof Error ? error.message : String(error));
      app.exit(1);
    });
}

async function start(): Promise<void> {
  const logger = createLogger('gatehouse', { level: 'info' });
  const version = await packageVersion();
  const prefs = openPrefs();
  let window: BrowserWindow | undefined;
  let tray: Tray | undefined;
  let quitting = false;

  if (process.platform === 'darwin') app.dock?.hide();
  protocol.handle(APP_SCHEME, (request) => serveAppRequest(RENDERER_DIR, request));
  // The window needs no camera, notifications API, geolocation...: refuse every permission.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));

  // Linux has no login items: an XDG autostart entry that starts the app hidden.
  const autostart = autostartFile(process.env, os.homedir());
  const relaunch = launchCommand({
    execPath: process.execPath,
    appImage: process.env.APPIMAGE,
    appPath: app.isPackaged ? undefined : app.getAppPath(),
    hiddenFlag: HIDDEN_FLAG,
  });
  const port = Number(process.env.GATEHOUSE_PORT ?? DEFAULT_PORT);
  const desktop = new DesktopApp({
    dataDir,
    port: Number.isInteger(port) ? port : DEFAULT_PORT,
    logger,
    version,
    platform: process.platform,
    env: process.env,
    safeStorage,
    prefs,
    ports: {
      writeClipboard: (text) => clipboard.writeText(text),
      notify: (alert) => {
        if (Notification.isSupported()) new Notification({ title: alert.title, body: alert.body, silent: true }).show();
      },
      showWindow: (hash) => showWindow(hash),
      chooseExportFile: async (defaultName) => {
        const result = await dialog.showSaveDialog({
          title: 'Export audit log',
          defaultPath: defaultName,
          filters: [
            { name: 'JSON Lines', extensions: ['jsonl'] },
            { name: 'CSV', extensions: ['csv'] },
          ],
        });
        if (result.canceled || !result.filePath) return undefined;
        return { file: result.filePath, format: result.filePath.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl' };
      },
      getStartAtLogin: () => (process.platform === 'linux' ? isAutostartEnabled(autostart) : app.getLoginItemSettings().openAtLogin),
      setStartAtLogin: (enabled) => {
        if (process.platform === 'linux') setAutostart(autostart, enabled, relaunch);
        else app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_FLAG] });
      },
      renderTray: (view) => renderTray(view),
      openExternal: (url) => openOutside(url),
      exit: () => {
        quitting = true;
        if (window && !window.isDestroyed()) prefs.setWindowBounds(window.getBounds());
        app.exit(0);
      },
    },
  });

  const ipc = createControlIpc({
    api: desktop.controlApi,
    isTrustedSender,
    watchServers: (listener) => desktop.watchServers(listener),
    log: (message, fields) => logger.warn(message, fields as Record<string, unknown> | undefined),
  });
  ipcMain.handle(IPC_CHANNELS.call, (event, method: unknown, args: unknown) => ipc.handleCall(event.senderFrame?.url, method, args));
  ipcMain.on(IPC_CHANNELS.subscribe, (event, id: unknown, topic: unknown, filter: unknown) => {
    const contents = event.sender;
    ipc.subscribe(
      { key: contents.id, send: (subscription, message) => void (contents.isDestroyed() || contents.send(IPC_CHANNELS.event, subscription, message)) },
      event.senderFrame?.url,
      id,
      topic,
      filter,
    );
  });
  ipcMain.on(IPC_CHANNELS.unsubscribe, (event, id: unknown) => ipc.unsubscribe(event.sender.id, id));

  // Every web contents, present and future: no navigation away, no new windows, no webviews.
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (navigationDecision(url).allow) return;
      event.preventDefault();
      // A link out of the app (a client's one-click install, a docs page) goes to the OS instead.
      void openOutside(url);
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      void openOutside(url);
      return { action: 'deny' };
    });
    contents.once('destroyed', () => ipc.dropSender(contents.id));
  });

  app.on('second-instance', () => showWindow());
  // Closing the window keeps the app in the tray; only Quit ends it.
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', (event) => {
    if (quitting) return;
    event.preventDefault();
    quitting = true;
    void desktop.quit();
  });

  /** Hands `url` to the system (browser, or the client a deep link names) if the allow-list lets it. */
  async function openOutside(url: string): Promise<void> {
    const decision = externalLinkDecision(url);
    if (decision.allow) await shell.openExternal(url);
    else logger.warn('refused to open a link', { reason: decision.reason });
  }

  function renderTray(view: TrayView): void {
    const image = nativeImage.createFromPath(path.join(TRAY_ICONS, view.icon));
    if (!tray) tray = new Tray(image);
    else tray.setImage(image);
    tray.setToolTip(view.tooltip);
    tray.setContextMenu(Menu.buildFromTemplate(toMenuTemplate(view.menu, (action) => void desktop.dispatch(action))));
  }

  function showWindow(hash?: string): void {
    if (!window || window.isDestroyed()) window = createWindow(hash);
    else if (hash) void window.loadURL(APP_ENTRY_URL + hash);
    if (process.platform === 'darwin') void app.dock?.show();
    window.show();
    window.focus();
  }

  function createWindow(hash?: string): BrowserWindow {
    const workAreas = screen.getAllDisplays().map((d) => d.workArea);
    const bounds = restoreBounds(prefs.windowBounds(), workAreas);
    const win = new BrowserWindow(
      mainWindowOptions({ preloadPath: PRELOAD, gatewayUrl: desktop.url, platform: process.platform, ...(bounds ? { bounds } : {}) }),
    );
    win.once('ready-to-show', () => win.show());
    win.on('close', (event) => {
      prefs.setWindowBounds(win.getBounds());
      if (quitting) return;
      event.preventDefault();
      win.hide();
      if (process.platform === 'darwin') app.dock?.hide();
    });
    void win.loadURL(APP_ENTRY_URL + (hash ?? ''));
    return win;
  }

  await desktop.startGateway();
  // Started at login: stay in the tray (Windows passes the flag; macOS says how it was opened).
  const atLogin = process.argv.includes(HIDDEN_FLAG) || (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin === true);
  if (!atLogin) showWindow();
}
