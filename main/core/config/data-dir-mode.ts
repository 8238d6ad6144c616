/**
 * The data dir holds token hashes, the secrets and the audit: no other user may read it. A new
 * one is created with mode 0700; one that exists with wider permissions (made by an older
 * version, by hand, or restored from a backup) is tightened when it is plainly Gatehouse's,
 * and refused otherwise: a folder that holds other things and is open to others (a shared
 * folder, `/tmp`) was not meant for credentials, and changing its mode would break whoever
 * shares it. POSIX only: Windows keeps a user's AppData private by its ACLs.
 */
import type { Dirent, Stats } from 'node:fs';
import { chmod, mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../security/private-file.js';
import { PRODUCT_NAME } from './data-dir.js';

/** Names that only a Gatehouse data dir holds: a folder with one of them is Gatehouse's. */
const GATEHOUSE_ENTRIES = [
  'registry.json',
  'tokens.json',
  'approvals.json',
  'secrets.enc',
  'secrets.key',
  'secrets.safestorage.json',
  'desktop-prefs.json',
  'gateway.lock',
  'audit',
  'backends.pid.json',
  'electron',
];

/** Mode bits that let the group or others in. */
const SHARED_BITS = 0o077;

/**
 * Creates `dataDir` (mode 0700) or makes an existing one private: the folder 0700, the files in
 * it 0600 and its folders 0700. Resolves to a line per change made, for the user.
 *
 * @throws Error naming the folder, its mode and what to do, when it is open to others and holds
 *   things that are not Gatehouse's, or belongs to another user.
 */
export async function securePrivateDataDir(dataDir: string, platform: NodeJS.Platform = process.platform): Promise<string[]> {
  await mkdir(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (platform === 'win32') return [];
  const info = await stat(dataDir);
  const entries = await readdir(dataDir, { withFileTypes: true });
  const changes: string[] = [];
  if ((info.mode & SHARED_BITS) !== 0) {
    // The default folder is named after the product (Electron's userData), whatever Chromium put in it first.
    const isGatehouses = entries.length === 0 || path.basename(dataDir) === PRODUCT_NAME || entries.some((e) => GATEHOUSE_ENTRIES.includes(e.name));
    if (!isOwn(info) || !isGatehouses) {
      throw new Error(
        `the data dir ${dataDir} is open to other users (mode ${octal(info.mode)})${isOwn(info) ? ' and holds files that are not Gatehouse\'s' : ', and another user owns it'}; ` +
          `Gatehouse keeps token hashes and secrets there, so it must be private. Use a folder of your own (--data-dir or GATEHOUSE_DATA_DIR; a new one is created with mode 0700)` +
          (isOwn(info) ? `, or make this one private: chmod 700 ${dataDir}` : ''),
      );
    }
    await chmod(dataDir, PRIVATE_DIR_MODE);
    changes.push(`the data dir ${dataDir} was open to other users (mode ${octal(info.mode)}); it is now 0700`);
  }
  for (const entry of entries) {
    const wanted = entry.isFile() ? PRIVATE_FILE_MODE : entry.isDirectory() ? PRIVATE_DIR_MODE : undefined;
    if (wanted === undefined) continue; // symlinks and sockets: not ours to change
    const changed = await tighten(path.join(dataDir, entry.name), entry, wanted);
    if (changed) changes.push(changed);
  }
  return changes;
}

async function tighten(file: string, entry: Dirent, wanted: number): Promise<string | undefined> {
  const info = await stat(file).catch(() => undefined);
  if (!info || (info.mode & SHARED_BITS) === 0 || !isOwn(info)) return undefined;
  await chmod(file, wanted);
  return `${entry.name} in the data dir was readable by others (mode ${octal(info.mode)}); it is now ${octal(wanted)}`;
}

function isOwn(info: Stats): boolean {
  return process.getuid === undefined || info.uid === process.getuid();
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}
