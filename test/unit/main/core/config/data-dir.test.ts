import os from 'node:os';
import { describe, it, expect } from 'vitest';
import { defaultDataDir } from '../../../../../main/core/config/data-dir.js';

describe('defaultDataDir', () => {
  it('uses ~/.config on Linux without XDG_CONFIG_HOME', () => {
    expect(defaultDataDir('linux', {}, '/home/ann')).toBe('/home/ann/.config/Gatehouse');
    expect(defaultDataDir('linux', { XDG_CONFIG_HOME: '' }, '/home/ann')).toBe('/home/ann/.config/Gatehouse');
  });

  it('uses XDG_CONFIG_HOME on Linux and other Unixes', () => {
    expect(defaultDataDir('linux', { XDG_CONFIG_HOME: '/xdg' }, '/home/ann')).toBe('/xdg/Gatehouse');
    expect(defaultDataDir('freebsd', { XDG_CONFIG_HOME: '/xdg/' }, '/home/ann')).toBe('/xdg/Gatehouse');
  });

  it('uses Application Support on macOS, ignoring XDG', () => {
    expect(defaultDataDir('darwin', { XDG_CONFIG_HOME: '/xdg' }, '/Users/ann')).toBe(
      '/Users/ann/Library/Application Support/Gatehouse',
    );
  });

  it('uses %APPDATA% on Windows, whatever its case, with a fallback under the profile', () => {
    expect(defaultDataDir('win32', { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, 'C:\\Users\\ann')).toBe(
      'C:\\Users\\ann\\AppData\\Roaming\\Gatehouse',
    );
    expect(defaultDataDir('win32', { AppData: 'D:\\Roam' }, 'C:\\Users\\ann')).toBe('D:\\Roam\\Gatehouse');
    expect(defaultDataDir('win32', {}, 'C:\\Users\\ann')).toBe('C:\\Users\\ann\\AppData\\Roaming\\Gatehouse');
  });

  it('lets GATEHOUSE_DATA_DIR override every platform', () => {
    expect(defaultDataDir('linux', { GATEHOUSE_DATA_DIR: '/data/gh/', XDG_CONFIG_HOME: '/xdg' }, '/home/ann')).toBe('/data/gh/');
    expect(defaultDataDir('darwin', { GATEHOUSE_DATA_DIR: '/data/gh' }, '/Users/ann')).toBe('/data/gh');
    expect(defaultDataDir('win32', { GATEHOUSE_DATA_DIR: 'E:/gh' }, 'C:\\Users\\ann')).toBe('E:\\gh');
    expect(defaultDataDir('linux', { GATEHOUSE_DATA_DIR: '' }, '/home/ann')).toBe('/home/ann/.config/Gatehouse');
  });

  it('defaults to the running platform', () => {
    expect(defaultDataDir()).toBe(defaultDataDir(process.platform, process.env, os.homedir()));
  });
});
