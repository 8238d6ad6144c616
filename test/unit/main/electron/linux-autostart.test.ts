import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { autostartFile, desktopEntry, isAutostartEnabled, launchCommand, setAutostart } from '../../../../main/electron/linux-autostart.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The words of an `Exec=` value, undoing the key-file and Exec quoting as a desktop would. */
function execWords(entry: string): string[] {
  const value = /^Exec=(.*)$/m.exec(entry)![1]!.replace(/\\\\/g, '\\');
  const words: string[] = [];
  for (const match of value.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) {
    words.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2]!);
  }
  return words.map((w) => w.replaceAll('%%', '%'));
}

describe('Linux start at login (XDG autostart)', () => {
  it('puts the entry under XDG_CONFIG_HOME, else ~/.config', () => {
    expect(autostartFile({ XDG_CONFIG_HOME: '/x/conf' }, '/home/a')).toBe('/x/conf/autostart/gatehouse.desktop');
    expect(autostartFile({}, '/home/a')).toBe('/home/a/.config/autostart/gatehouse.desktop');
    expect(autostartFile({ XDG_CONFIG_HOME: 'relative' }, '/home/a')).toBe('/home/a/.config/autostart/gatehouse.desktop');
  });

  it('turns on and off, and starts the app hidden', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-autostart-'));
    const file = autostartFile({ XDG_CONFIG_HOME: dir }, '/nowhere');
    expect(isAutostartEnabled(file)).toBe(false);
    setAutostart(file, true, ['/opt/Gatehouse/gatehouse', '--hidden']);
    expect(isAutostartEnabled(file)).toBe(true);
    expect(execWords(await readFile(file, 'utf8'))).toEqual(['/opt/Gatehouse/gatehouse', '--hidden']);
    setAutostart(file, false, []);
    expect(isAutostartEnabled(file)).toBe(false);
  });

  it('counts an entry the desktop switched off as off', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-autostart-'));
    const file = path.join(dir, 'gatehouse.desktop');
    setAutostart(file, true, ['/x']);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, desktopEntry(['/x']).replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'));
    expect(isAutostartEnabled(file)).toBe(false);
  });

  it('quotes paths with spaces and special characters so they come back intact', () => {
    const words = ['/home/a b/My "Apps"/Gatehouse-1.0.AppImage', '/path/with$dollar`tick\\slash', '100%', '--hidden'];
    expect(execWords(desktopEntry(words))).toEqual(words);
  });

  it('relaunches the AppImage itself, or electron with the app folder in development', () => {
    expect(launchCommand({ execPath: '/tmp/.mount_x/gatehouse', appImage: '/home/a/Gatehouse.AppImage', hiddenFlag: '--hidden' })).toEqual([
      '/home/a/Gatehouse.AppImage',
      '--hidden',
    ]);
    expect(launchCommand({ execPath: '/repo/node_modules/electron/dist/electron', appPath: '/repo', hiddenFlag: '--hidden' })).toEqual([
      '/repo/node_modules/electron/dist/electron',
      '/repo',
      '--hidden',
    ]);
  });
});
