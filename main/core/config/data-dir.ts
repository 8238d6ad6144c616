/**
 * Where Gatehouse keeps its data (registry, token hashes, audit segments).
 *
 * The headless gateway uses the same folder the Electron app gets from
 * `app.getPath('userData')`, so `gatehouse serve` and the tray app share one registry.
 */
import os from 'node:os';
import path from 'node:path';

/** Electron derives `userData` from the product name. */
export const PRODUCT_NAME = 'Gatehouse';

/** Environment variable that overrides the data directory everywhere. */
export const DATA_DIR_ENV = 'GATEHOUSE_DATA_DIR';

/**
 * The data directory for a platform, as Electron's `app.getPath('userData')` computes it for
 * productName "Gatehouse":
 *
 * - Linux and other Unixes: `$XDG_CONFIG_HOME/Gatehouse`, else `~/.config/Gatehouse`
 *   (Chromium's `GetXDGDirectory`: a set, non-empty variable is used as is);
 * - macOS: `~/Library/Application Support/Gatehouse`;
 * - Windows: `%APPDATA%\Gatehouse`, else `<home>\AppData\Roaming\Gatehouse`.
 *
 * A non-empty `GATEHOUSE_DATA_DIR` wins on every platform. Paths are built with the target
 * platform's path flavour, so the result for any platform can be computed on any other.
 */
export function defaultDataDir(
  platform: NodeJS.Platform = process.platform,
  env: Readonly<NodeJS.ProcessEnv> = process.env,
  home: string = os.homedir(),
): string {
  const isWindows = platform === 'win32';
  const p = isWindows ? path.win32 : path.posix;

  const override = readEnv(env, DATA_DIR_ENV, isWindows);
  if (override !== undefined) return p.isAbsolute(override) ? p.normalize(override) : p.resolve(override);

  if (isWindows) {
    const appData = readEnv(env, 'APPDATA', true) ?? p.join(home, 'AppData', 'Roaming');
    return p.join(appData, PRODUCT_NAME);
  }
  if (platform === 'darwin') return p.join(home, 'Library', 'Application Support', PRODUCT_NAME);
  const configHome = readEnv(env, 'XDG_CONFIG_HOME', false);
  return configHome !== undefined ? p.resolve(configHome, PRODUCT_NAME) : p.join(home, '.config', PRODUCT_NAME);
}

/** A non-empty variable; Windows names are case-insensitive, even in a plain object. */
function readEnv(env: Readonly<NodeJS.ProcessEnv>, name: string, caseInsensitive: boolean): string | undefined {
  let value = env[name];
  if (value === undefined && caseInsensitive) {
    const key = Object.keys(env).find((k) => k.toUpperCase() === name);
    value = key === undefined ? undefined : env[key];
  }
  return value !== undefined && value !== '' ? value : undefined;
}
