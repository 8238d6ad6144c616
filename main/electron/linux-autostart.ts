/**
 * Start at login on Linux, where Electron's `setLoginItemSettings` does nothing: an XDG autostart
 * entry, `$XDG_CONFIG_HOME/autostart/gatehouse.desktop` (else `~/.config/autostart/`), which
 * GNOME, KDE, Xfce and the other desktops that follow the XDG Autostart spec run at login.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const FILE_NAME = 'gatehouse.desktop';

/** Where the entry lives for this user. */
export function autostartFile(env: Readonly<NodeJS.ProcessEnv>, home: string): string {
  const configHome = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  return path.join(configHome, 'autostart', FILE_NAME);
}

/**
 * The command that starts this app again: the AppImage itself when run from one (the binary
 * inside it sits in a mount point that changes each run), else the executable, plus the app's
 * folder when it is run as `electron <app>` in development.
 */
export function launchCommand(opts: { execPath: string; appImage?: string; appPath?: string; hiddenFlag: string }): string[] {
  if (opts.appImage) return [opts.appImage, opts.hiddenFlag];
  return [opts.execPath, ...(opts.appPath ? [opts.appPath] : []), opts.hiddenFlag];
}

/** The `.desktop` entry for `command` (each word quoted as the Desktop Entry spec asks). */
export function desktopEntry(command: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Gatehouse',
    'Comment=One localhost gateway in front of all your MCP servers',
    `Exec=${command.map(quoteExecArg).join(' ')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Whether the entry exists and is not switched off (`Hidden=true` or GNOME's own flag). */
export function isAutostartEnabled(file: string): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  return !/^Hidden\s*=\s*true\s*$/m.test(text) && !/^X-GNOME-Autostart-enabled\s*=\s*false\s*$/m.test(text);
}

/** Writes or removes the entry. */
export function setAutostart(file: string, enabled: boolean, command: readonly string[]): void {
  if (!enabled) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, desktopEntry(command), { mode: 0o644 });
}

/**
 * A word of `Exec=`: quoted when it holds anything but plain characters; inside quotes `"`, `` ` ``,
 * `$` and `\` are escaped with a backslash, and the backslash itself doubled once more because
 * the value is also a string of the key file format. `%` is doubled (field codes).
 */
function quoteExecArg(word: string): string {
  const escapedPercent = word.replaceAll('%', '%%');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escapedPercent)) return escapedPercent;
  const inner = escapedPercent.replace(/(["`$\\])/g, '\\$1').replaceAll('\\', '\\\\');
  return `"${inner}"`;
}
