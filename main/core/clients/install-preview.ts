/**
 * What an install or remove would do to a client's config file, shown before it is done: the
 * unified diff of the file, with credentials masked, and a fingerprint of the file as read so
 * the change that follows can refuse a file edited in between.
 */
import { createHash } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import type { ConfigEntry } from '../../../shared/client-configs/types.js';
import { isSensitiveEnv, isSensitiveHeader } from '../../../shared/credentials.js';
import { readIfExists } from '../security/private-file.js';
import { TOKEN_PREFIX } from '../security/token-store.js';
import { editText } from './config-edit.js';

/** Lines of context around each change. */
const CONTEXT_LINES = 3;
const MASK = '••••••••';

/** The diff {@link previewEdit} answers. */
export interface EditPreview {
  file: string;
  exists: boolean;
  changed: boolean;
  diff: string;
  fingerprint: string;
}

/** The fingerprint of a file's text (`undefined`: the file does not exist). */
export function fileFingerprint(text: string | undefined): string {
  return createHash('sha256')
    .update(text === undefined ? '\0missing' : `\0text${text}`)
    .digest('hex')
    .slice(0, 32);
}

/** The fingerprint of `file` as it is now. */
export async function currentFingerprint(file: string): Promise<string> {
  return fileFingerprint(await readIfExists(file));
}

/**
 * The diff of installing (or removing) `entry` in `file`. Throws `InvalidConfigFileError` for a
 * file that does not parse, as the install itself would.
 */
export async function previewEdit(file: string, entry: Readonly<ConfigEntry>, action: 'install' | 'remove'): Promise<EditPreview> {
  const before = await readIfExists(file);
  const after = before === undefined && action === 'remove' ? undefined : editText(file, before ?? '', entry, action);
  const changed = after !== undefined && after !== before;
  const diff = changed ? createTwoFilesPatch(file, file, before ?? '', after, before === undefined ? '(new file)' : 'now', 'after', { context: CONTEXT_LINES }) : '';
  return { file, exists: before !== undefined, changed, diff: maskCredentials(diff), fingerprint: fileFingerprint(before) };
}

/**
 * `text` with credentials masked: Gatehouse tokens, `Bearer`/`Basic` credentials, and the values
 * of keys that name a credential (`"API_KEY": "..."`, `token = "..."`). The diff's context lines
 * come from the user's own file, which may hold other servers' keys.
 */
export function maskCredentials(text: string): string {
  return text
    .replace(new RegExp(`${TOKEN_PREFIX}[A-Za-z0-9_-]{4,}`, 'g'), `${TOKEN_PREFIX}${MASK}`)
    .replace(/\b(Bearer|Basic)\s+(?!\$\{|<)[^\s"'\\]+/g, `$1 ${MASK}`)
    .replace(/(["']?)([A-Za-z0-9_.-]+)\1(\s*[:=]\s*)(["'])((?:\\.|(?!\4).)*)\4/g, (match, quote: string, key: string, sep: string, q: string, value: string) => {
      // A reference (`Bearer ${env:GATEHOUSE_TOKEN}`) or a placeholder holds no credential: it stays readable.
      if (!(isSensitiveEnv(key) || isSensitiveHeader(key)) || value === '' || /\$\{[^}]+\}|<[^>]+>|^\[REDACTED\]$/.test(value) || value.includes(MASK)) return match;
      return `${quote}${key}${quote}${sep}${q}${MASK}${q}`;
    });
}
