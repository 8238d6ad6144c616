import { describe, expect, it } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import {
  toMenuTemplate,
  TRAY_ICON_FILES,
  trayIconFile,
  trayIconState,
  trayMenuKey,
  trayMenuModel,
  trayTooltip,
  type TrayAction,
  type TrayInput,
  type TrayMenuItem,
} from '../../../../main/electron/tray-model.js';
import { serverView } from './server-view.js';

const URL = 'http://127.0.0.1:7420';

function input(overrides: Partial<TrayInput> = {}): TrayInput {
  return {
    gateway: { state: 'running', url: URL },
    servers: [],
    clients: [
      { id: 'cursor', label: 'Cursor' },
      { id: 'claude-code', label: 'Claude Code' },
    ],
    startAtLogin: false,
    platform: 'darwin',
    version: '0.1.0',
    ...overrides,
  };
}

function find(items: readonly TrayMenuItem[], label: string): TrayMenuItem {
  const found = items.find((i) => i.label === label);
  if (!found) throw new Error(`no menu item "${label}" in ${items.map((i) => i.label).join(', ')}`);
  return found;
}

/** The per-server submenu: label → enabled. */
function ops(items: readonly TrayMenuItem[], serverLabel: string): Record<string, boolean> {
  const entry = find(find(items, 'Servers').submenu!, serverLabel);
  return Object.fromEntries(entry.submenu!.filter((i) => i.type !== 'separator').map((i) => [i.label, i.enabled]));
}

describe('trayMenuModel', () => {
  it('starts with a disabled header that names the version and where the gateway listens', () => {
    const [header] = trayMenuModel(input());
    expect(header).toMatchObject({ label: `Gatehouse 0.1.0 — running at ${URL}`, enabled: false });
    expect(header!.action).toBeUndefined();
  });

  it('puts the reason a gateway failed in the header', () => {
    const items = trayMenuModel(input({ gateway: { state: 'error', error: 'The gateway did not start: port 7420 is already in use' } }));
    expect(items[0]!.label).toBe('Gatehouse 0.1.0 — The gateway did not start: port 7420 is already in use');
    expect(trayMenuModel(input({ gateway: { state: 'stopped' } }))[0]!.label).toBe('Gatehouse 0.1.0 — stopped');
  });

  it('offers Stop while running, Start while stopped or failed, and neither while starting', () => {
    expect(find(trayMenuModel(input()), 'Stop gateway')).toMatchObject({ enabled: true, action: { type: 'stop-gateway' } });
    for (const state of ['stopped', 'error'] as const) {
      const items = trayMenuModel(input({ gateway: { state } }));
      expect(find(items, 'Start gateway')).toMatchObject({ enabled: true, action: { type: 'start-gateway' } });
      expect(items.some((i) => i.label === 'Stop gateway')).toBe(false);
    }
    const starting = trayMenuModel(input({ gateway: { state: 'starting' } }));
    expect(starting.filter((i) => /gateway$/.test(i.label)).map((i) => i.enabled)).toEqual([false]);
  });

  it('disables Copy endpoint and Copy client config while the gateway is not running', () => {
    for (const state of ['stopped', 'starting', 'error'] as const) {
      const items = trayMenuModel(input({ gateway: { state } }));
      expect(find(items, 'Copy endpoint URL').enabled).toBe(false);
      expect(find(items, 'Copy client config').enabled).toBe(false);
    }
    const running = trayMenuModel(input());
    expect(find(running, 'Copy endpoint URL')).toMatchObject({ enabled: true, action: { type: 'copy-endpoint' } });
  });

  it('lists one Copy client config entry per client, each copying that client', () => {
    const sub = find(trayMenuModel(input()), 'Copy client config').submenu!;
    expect(sub.map((i) => [i.label, i.enabled, i.action])).toEqual([
      ['Cursor', true, { type: 'copy-client-config', client: 'cursor' }],
      ['Claude Code', true, { type: 'copy-client-config', client: 'claude-code' }],
    ]);
  });

  it('shows each server with its state and tool count', () => {
    const servers = [
      serverView('memory', { toolCount: 9 }),
      serverView('one', { toolCount: 1 }),
      serverView('x', { status: 'error', reason: 'exited with code 1' }),
      serverView('slow', { status: 'degraded', toolCount: 3 }),
      serverView('off', { enabled: false, status: 'disabled' }),
      serverView('gh', { status: 'error', needsAuth: true }),
      serverView('crashy', { status: 'error', nextRestartAt: 5_000 }),
    ];
    const labels = find(trayMenuModel(input({ servers })), 'Servers').submenu!.map((i) => i.label);
    expect(labels).toEqual([
      'memory — running (9 tools)',
      'one — running (1 tool)',
      'x — error',
      'slow — degraded (3 tools)',
      'off — disabled',
      'gh — needs sign-in',
      'crashy — error, restarting',
    ]);
  });

  it('says "No servers" when there are none, and that the gateway is not running when it is not', () => {
    expect(find(trayMenuModel(input()), 'Servers').submenu).toEqual([expect.objectContaining({ label: 'No servers', enabled: false })]);
    const stopped = find(trayMenuModel(input({ gateway: { state: 'stopped' } })), 'Servers').submenu!;
    expect(stopped).toEqual([expect.objectContaining({ label: 'Gateway not running', enabled: false })]);
  });

  it('enables only the server actions that would do something', () => {
    const servers = [
      serverView('up', { toolCount: 2 }),
      serverView('down', { status: 'stopped' }),
      serverView('booting', { status: 'starting' }),
      serverView('retrying', { status: 'error', nextRestartAt: 9_000 }),
      serverView('broken', { status: 'error' }),
    ];
    const items = trayMenuModel(input({ servers }));
    expect(ops(items, 'up — running (2 tools)')).toEqual({ Start: false, Stop: true, Restart: true });
    expect(ops(items, 'down — stopped')).toEqual({ Start: true, Stop: false, Restart: false });
    expect(ops(items, 'booting — starting')).toEqual({ Start: false, Stop: true, Restart: true });
    // Stop cancels the scheduled restart; a server that was given up on has nothing to stop.
    expect(ops(items, 'retrying — error, restarting')).toEqual({ Start: true, Stop: true, Restart: false });
    expect(ops(items, 'broken — error')).toEqual({ Start: true, Stop: false, Restart: false });
  });

  it('server actions name the server and the operation', () => {
    const entry = find(trayMenuModel(input({ servers: [serverView('memory')] })), 'Servers').submenu![0]!;
    expect(entry.submenu!.map((i) => i.action)).toEqual([
      { type: 'server', server: 'memory', op: 'start' },
      { type: 'server', server: 'memory', op: 'stop' },
      { type: 'server', server: 'memory', op: 'restart' },
    ]);
  });

  it('a disabled server cannot be started from the tray, and says where to enable it', () => {
    const items = trayMenuModel(input({ servers: [serverView('off', { enabled: false, status: 'disabled' })] }));
    expect(ops(items, 'off — disabled')).toMatchObject({ Start: false, Stop: false, Restart: false });
    expect(ops(items, 'off — disabled')['Disabled: enable it in Gatehouse']).toBe(false);
  });

  it('a server awaiting approval cannot be started from the tray, and says where to approve it', () => {
    const waiting = serverView('fs', { status: 'stopped', approval: 'pending', reason: 'waiting for approval: npx fs' });
    const items = trayMenuModel(input({ servers: [waiting] }));
    expect(ops(items, 'fs — waiting for approval')).toEqual({ Start: false, Stop: false, Restart: false, 'Approve its launch in Gatehouse': false });
  });

  it('has the window, audit and quit entries, with Quit last', () => {
    const items = trayMenuModel(input());
    expect(find(items, 'Open Gatehouse').action).toEqual({ type: 'open-window' });
    expect(find(items, 'Open audit timeline').action).toEqual({ type: 'open-audit' });
    expect(find(items, 'Export audit log…').action).toEqual({ type: 'export-audit' });
    expect(items.at(-1)).toMatchObject({ label: 'Quit Gatehouse', enabled: true, action: { type: 'quit' } });
    // The window can be opened even when the gateway is down: that is where the user fixes it.
    expect(find(trayMenuModel(input({ gateway: { state: 'error', error: 'boom' } })), 'Open Gatehouse').enabled).toBe(true);
  });

  it('shows Start at login checked as the OS has it, and clicking asks for the opposite', () => {
    for (const platform of ['darwin', 'win32', 'linux'] as const) {
      const on = find(trayMenuModel(input({ platform, startAtLogin: true })), 'Start at login');
      expect(on).toMatchObject({ type: 'checkbox', checked: true, action: { type: 'toggle-start-at-login', enabled: false } });
      const off = find(trayMenuModel(input({ platform, startAtLogin: false })), 'Start at login');
      expect(off).toMatchObject({ checked: false, action: { type: 'toggle-start-at-login', enabled: true } });
    }
  });

  it('leaves Start at login out where the app has no way to set it', () => {
    expect(trayMenuModel(input({ platform: 'freebsd' })).some((i) => i.label === 'Start at login')).toBe(false);
  });
});

describe('trayIconState and trayIconFile', () => {
  it('is running when the gateway runs and no server failed', () => {
    expect(trayIconState(input({ servers: [serverView('a'), serverView('b', { status: 'stopped' })] }))).toBe('running');
  });

  it('is error when the gateway failed or any server is in error', () => {
    expect(trayIconState(input({ gateway: { state: 'error', error: 'x' } }))).toBe('error');
    expect(trayIconState(input({ servers: [serverView('a'), serverView('b', { status: 'error' })] }))).toBe('error');
  });

  it('is stopped while the gateway is stopped or still starting', () => {
    expect(trayIconState(input({ gateway: { state: 'stopped' } }))).toBe('stopped');
    expect(trayIconState(input({ gateway: { state: 'starting' } }))).toBe('stopped');
  });

  it('uses template images on macOS and plain ones elsewhere, all from the published list', () => {
    expect(trayIconFile('error', 'darwin')).toBe('tray-errorTemplate.png');
    expect(trayIconFile('running', 'win32')).toBe('tray-running.png');
    expect(trayIconFile('stopped', 'linux')).toBe('tray-stopped.png');
    const used = (['running', 'stopped', 'error'] as const).flatMap((s) => (['darwin', 'linux'] as const).map((p) => trayIconFile(s, p)));
    expect([...TRAY_ICON_FILES].sort()).toEqual([...new Set(used)].sort());
  });
});

describe('trayTooltip', () => {
  it('names the endpoint and counts servers by state', () => {
    const servers = [serverView('a'), serverView('b', { status: 'degraded' }), serverView('c', { status: 'error' })];
    expect(trayTooltip(input({ servers }))).toBe(`Gatehouse: running at ${URL} — 3 servers: 2 running, 1 in error`);
    expect(trayTooltip(input({ servers: [serverView('a', { status: 'stopped' })] }))).toBe(`Gatehouse: running at ${URL} — 1 server: 1 stopped`);
    expect(trayTooltip(input())).toBe(`Gatehouse: running at ${URL} — no servers`);
  });

  it('says when the gateway is stopped or why it failed', () => {
    expect(trayTooltip(input({ gateway: { state: 'stopped' } }))).toBe('Gatehouse: stopped');
    expect(trayTooltip(input({ gateway: { state: 'error', error: 'port 7420 is already in use' } }))).toBe('Gatehouse: port 7420 is already in use');
  });

  it('fits the 127 characters Windows shows', () => {
    const tooltip = trayTooltip(input({ gateway: { state: 'error', error: 'x'.repeat(500) } }));
    expect(tooltip.length).toBeLessThanOrEqual(127);
    expect(tooltip.endsWith('…')).toBe(true);
  });
});

describe('trayMenuKey', () => {
  const base = input({ servers: [serverView('memory', { toolCount: 9, pid: 100, since: 1 })] });

  it('stays the same when nothing the tray shows changed (timestamps, pids)', () => {
    const later = input({ servers: [serverView('memory', { toolCount: 9, pid: 200, since: 99_999 })] });
    expect(trayMenuKey(later)).toBe(trayMenuKey(base));
  });

  it('changes when a label, the icon or a checkbox changes', () => {
    const key = trayMenuKey(base);
    expect(trayMenuKey(input({ servers: [serverView('memory', { toolCount: 10 })] }))).not.toBe(key);
    expect(trayMenuKey({ ...base, startAtLogin: true })).not.toBe(key);
    expect(trayMenuKey({ ...base, gateway: { state: 'stopped' } })).not.toBe(key);
    expect(trayMenuKey({ ...base, clients: [] })).not.toBe(key);
  });
});

describe('toMenuTemplate', () => {
  it('dispatches the action of the clicked entry, in submenus too', () => {
    const dispatched: TrayAction[] = [];
    const template = toMenuTemplate(trayMenuModel(input({ servers: [serverView('memory')] })), (a) => dispatched.push(a));
    const quit = template.find((t) => t.label === 'Quit Gatehouse')!;
    quit.click!({} as never, undefined, {} as never);
    const servers = template.find((t) => t.label === 'Servers')!.submenu as MenuItemConstructorOptions[];
    const restart = (servers[0]!.submenu as MenuItemConstructorOptions[]).find((t) => t.label === 'Restart')!;
    restart.click!({} as never, undefined, {} as never);
    expect(dispatched).toEqual([{ type: 'quit' }, { type: 'server', server: 'memory', op: 'restart' }]);
  });

  it('keeps disabled entries disabled, separators bare and checkboxes checked', () => {
    const template = toMenuTemplate(trayMenuModel(input({ gateway: { state: 'stopped' }, startAtLogin: true })), () => undefined);
    expect(template[0]).toMatchObject({ enabled: false });
    expect(template[0]!.click).toBeUndefined();
    expect(template[1]).toEqual({ type: 'separator' });
    expect(template.find((t) => t.label === 'Copy endpoint URL')).toMatchObject({ enabled: false });
    expect(template.find((t) => t.label === 'Start at login')).toMatchObject({ type: 'checkbox', checked: true });
  });

  it('shows an & literally instead of turning it into a mnemonic', () => {
    const template = toMenuTemplate(trayMenuModel(input({ servers: [serverView('R&D', { status: 'stopped' })] })), () => undefined);
    const servers = template.find((t) => t.label === 'Servers')!.submenu as MenuItemConstructorOptions[];
    expect(servers[0]!.label).toBe('R&&D — stopped');
  });
});
