/**
 * Desktop-only preferences in electron-store (`desktop-prefs.json` in the data dir): the window's
 * bounds and the user's explicit choice of the encrypted-file secret store. Start at login is
 * the operating system's own setting and is read from there. Nothing here is a secret.
 */
import Store from 'electron-store';
import type { Rectangle } from 'electron';
import type { DesktopPrefs } from './desktop-app.js';

interface PrefsData {
  windowBounds?: Rectangle;
  /** Set when the user chose the encrypted-file store because safeStorage cannot protect secrets. */
  encryptedFileSecretStore: boolean;
}

export interface Prefs extends DesktopPrefs {
  windowBounds(): Rectangle | undefined;
  setWindowBounds(bounds: Rectangle): void;
}

export function openPrefs(): Prefs {
  const store = new Store<PrefsData>({
    name: 'desktop-prefs',
    defaults: { encryptedFileSecretStore: false },
    // A damaged prefs file is not worth a failed start: it only holds the above.
    clearInvalidConfig: true,
  });
  return {
    windowBounds: () => {
      const bounds = store.get('windowBounds');
      return bounds && [bounds.x, bounds.y, bounds.width, bounds.height].every(Number.isFinite) ? bounds : undefined;
    },
    setWindowBounds: (bounds) => store.set('windowBounds', bounds),
    encryptedFileChosen: () => store.get('encryptedFileSecretStore') === true,
    setEncryptedFileChosen: (chosen) => store.set('encryptedFileSecretStore', chosen),
  };
}
