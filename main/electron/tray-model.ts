/**
 * The tray as data: what the menu, icon and tooltip show for a given state, and which action
 * each entry asks for. Pure functions, so the shell only renders what these return and every
 * rule here is tested under plain Node (the Electron binary is not needed).
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { ServerView } from '../../shared/control-api.js';

/** Everything the tray shows, gathered by the shell on each change. */
export interface TrayInput {
  gateway: { state: 'starting' | 'running' | 'stopped' | 'error'; url?: string; error?: string };
  servers: ServerView[];
  clients: Array<{ id: string; label: string }>;
  startAtLogin: boolean;
  platform: NodeJS.Platform;
  version: string;
}

/** What a menu entry asks the app to do. */
export type TrayAction =
  | { type: 'start-gateway' }
  | { type: 'stop-gateway' }
  | { type: 'server'; server: string; op: 'start' | 'stop' | 'restart' }
  | { type: 'copy-endpoint' }
  | { type: 'copy-client-config'; client: string }
  | { type: 'open-window' }
  | { type: 'open-audit' }
  | { type: 'export-audit' }
  | { type: 'toggle-start-at-login'; enabled: boolean }
  | { type: 'quit' };

/** One menu entry as plain data (comparable, serialisable, testable). */
export interface TrayMenuItem {
  label: string;
  type: 'normal' | 'separator' | 'submenu' | 'checkbox';
  enabled: boolean;
  checked?: boolean;
  action?: TrayAction;
  submenu?: TrayMenuItem[];
}

export type TrayIconState = 'running' | 'stopped' | 'error';

const ICON_STATES: readonly TrayIconState[] = ['running', 'stopped', 'error'];

/**
 * Every tray image name, under `main/electron/resources/tray/` (Electron picks the `@2x`
 * variant beside each by itself). macOS gets template images, which it tints for light and
 * dark menu bars.
 */
export const TRAY_ICON_FILES: readonly string[] = ICON_STATES.flatMap((state) => [`tray-${state}Template.png`, `tray-${state}.png`]);

/** Windows cuts tray tooltips at 127 characters (`NOTIFYICONDATA.szTip`); keep the end readable. */
const TOOLTIP_MAX = 127;
/** Long error messages would stretch the whole menu. */
const LABEL_MAX = 90;

export function trayIconState(input: TrayInput): TrayIconState {
  if (input.gateway.state === 'error') return 'error';
  if (input.gateway.state !== 'running') return 'stopped';
  return input.servers.some((s) => s.enabled && s.status === 'error') ? 'error' : 'running';
}

export function trayIconFile(state: TrayIconState, platform: NodeJS.Platform): string {
  return platform === 'darwin' ? `tray-${state}Template.png` : `tray-${state}.png`;
}

export function trayTooltip(input: TrayInput): string {
  const { gateway } = input;
  if (gateway.state !== 'running') return clip(`Gatehouse: ${gatewayPhrase(input)}`, TOOLTIP_MAX);
  return clip(`Gatehouse: running at ${gateway.url ?? ''} — ${serverCounts(input.servers)}`, TOOLTIP_MAX);
}

/**
 * A key of everything the tray shows: equal keys mean an identical menu, icon and tooltip, so
 * the shell rebuilds only when this changes (server timestamps, pids and the like never do).
 */
export function trayMenuKey(input: TrayInput): string {
  return JSON.stringify([trayIconFile(trayIconState(input), input.platform), trayTooltip(input), trayMenuModel(input)]);
}

export function trayMenuModel(input: TrayInput): TrayMenuItem[] {
  const running = input.gateway.state === 'running';
  const items: TrayMenuItem[] = [
    item(clip(`Gatehouse ${input.version} — ${gatewayPhrase(input)}`, LABEL_MAX), false),
    SEPARATOR,
    running || input.gateway.state === 'starting'
      ? item('Stop gateway', running, { type: 'stop-gateway' })
      : item('Start gateway', true, { type: 'start-gateway' }),
    submenu('Servers', true, serverEntries(input)),
    SEPARATOR,
    item('Copy endpoint URL', running, { type: 'copy-endpoint' }),
    submenu(
      'Copy client config',
      running && input.clients.length > 0,
      input.clients.map((c) => item(c.label, running, { type: 'copy-client-config', client: c.id })),
    ),
    SEPARATOR,
    item('Open Gatehouse', true, { type: 'open-window' }),
    item('Open audit timeline', true, { type: 'open-audit' }),
    item('Export audit log…', true, { type: 'export-audit' }),
    SEPARATOR,
  ];
  // macOS and Windows have login items (`app.setLoginItemSettings`); Linux an XDG autostart
  // entry (linux-autostart.ts). Elsewhere the box would do nothing.
  if (input.platform === 'darwin' || input.platform === 'win32' || input.platform === 'linux') {
    items.push({
      label: 'Start at login',
      type: 'checkbox',
      enabled: true,
      checked: input.startAtLogin,
      action: { type: 'toggle-start-at-login', enabled: !input.startAtLogin },
    });
  }
  items.push(item('Quit Gatehouse', true, { type: 'quit' }));
  return items;
}

/**
 * The Electron template of a model; a click dispatches the entry's action. `&` is doubled
 * because Electron reads a single one as a mnemonic and drops it from the label
 * (https://github.com/electron/electron/issues/9584): server names and errors may hold one.
 */
export function toMenuTemplate(items: readonly TrayMenuItem[], dispatch: (action: TrayAction) => void): MenuItemConstructorOptions[] {
  return items.map((entry): MenuItemConstructorOptions => {
    if (entry.type === 'separator') return { type: 'separator' };
    const { action } = entry;
    return {
      type: entry.type,
      label: entry.label.replaceAll('&', '&&'),
      enabled: entry.enabled,
      ...(entry.type === 'checkbox' ? { checked: entry.checked === true } : {}),
      ...(entry.submenu ? { submenu: toMenuTemplate(entry.submenu, dispatch) } : {}),
      ...(action ? { click: () => dispatch(action) } : {}),
    };
  });
}

// ---------------------------------------------------------------------------------------------

const SEPARATOR: TrayMenuItem = { label: '', type: 'separator', enabled: true };

function item(label: string, enabled: boolean, action?: TrayAction): TrayMenuItem {
  return { label, type: 'normal', enabled, ...(action ? { action } : {}) };
}

function submenu(label: string, enabled: boolean, entries: TrayMenuItem[]): TrayMenuItem {
  return { label, type: 'submenu', enabled, submenu: entries };
}

function gatewayPhrase(input: TrayInput): string {
  const { gateway } = input;
  switch (gateway.state) {
    case 'running':
      return `running at ${gateway.url ?? ''}`;
    case 'starting':
      return 'starting…';
    case 'stopped':
      return 'stopped';
    case 'error':
      return gateway.error ?? 'the gateway failed';
  }
}

function serverEntries(input: TrayInput): TrayMenuItem[] {
  if (input.servers.length === 0) return [item(input.gateway.state === 'running' ? 'No servers' : 'Gateway not running', false)];
  const running = input.gateway.state === 'running';
  return input.servers.map((server) => submenu(clip(`${server.name} — ${serverPhrase(server)}`, LABEL_MAX), true, serverOps(server, running)));
}

function serverPhrase(server: ServerView): string {
  if (server.status === 'running' || server.status === 'degraded') {
    const tools = `${server.toolCount} tool${server.toolCount === 1 ? '' : 's'}`;
    return `${server.status} (${tools})`;
  }
  if (server.needsAuth) return 'needs sign-in';
  if (isAwaitingApproval(server)) return 'waiting for approval';
  if (server.status === 'error' && server.nextRestartAt !== undefined) return 'error, restarting';
  if (server.status === 'stopped' && server.dormant) return 'idle (starts on first use)';
  return server.status;
}

/**
 * Start, Stop and Restart, each enabled when it would do something: the gateway ignores a start
 * of a disabled server and a launch that awaits approval, so those say where to act instead.
 */
function serverOps(server: ServerView, gatewayRunning: boolean): TrayMenuItem[] {
  const op = (label: string, op: 'start' | 'stop' | 'restart', enabled: boolean): TrayMenuItem =>
    item(label, gatewayRunning && enabled, { type: 'server', server: server.name, op });
  const hint = !server.enabled
    ? 'Disabled: enable it in Gatehouse'
    : isAwaitingApproval(server)
      ? 'Approve its launch in Gatehouse'
      : undefined;
  const status = server.status;
  const active = status === 'running' || status === 'degraded' || status === 'starting';
  const ops = [
    op('Start', 'start', hint === undefined && (status === 'stopped' || status === 'error')),
    // Stopping a failed server cancels its scheduled restart; otherwise there is nothing to stop.
    op('Stop', 'stop', active || (status === 'error' && server.nextRestartAt !== undefined)),
    op('Restart', 'restart', active),
  ];
  return hint === undefined ? ops : [...ops, SEPARATOR, item(hint, false)];
}

function isAwaitingApproval(server: ServerView): boolean {
  return server.status === 'stopped' && (server.approval === 'pending' || server.approval === 'changed');
}

function serverCounts(servers: readonly ServerView[]): string {
  if (servers.length === 0) return 'no servers';
  const groups: Array<[string, (s: ServerView) => boolean]> = [
    ['running', (s) => s.status === 'running' || s.status === 'degraded'],
    ['starting', (s) => s.status === 'starting'],
    ['stopped', (s) => s.status === 'stopped'],
    ['disabled', (s) => s.status === 'disabled'],
    ['in error', (s) => s.status === 'error'],
  ];
  const parts = groups.map(([label, test]) => [servers.filter(test).length, label] as const).filter(([n]) => n > 0);
  return `${servers.length} server${servers.length === 1 ? '' : 's'}: ${parts.map(([n, label]) => `${n} ${label}`).join(', ')}`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
