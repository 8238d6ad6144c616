/**
 * What a server is, in one line, for its card in the control UI: the command line of a stdio
 * server or the URL of a remote one, with anything that may be a credential masked. Env and
 * header values are never part of it.
 */
import type { ServerConfig } from '../../../shared/server-config.js';
import { quotePosix } from './approvals.js';

const MASK = '••••';
/** Flag and parameter names whose values are credentials. */
const SENSITIVE_NAME = /token|secret|passw(or)?d|credential|api[-_]?key|apikey|auth|(^|[-_])key$/i;
/** Values that look like credentials whatever flag they follow (provider prefixes, JWTs). */
const CREDENTIAL_SHAPE = /^(gth_|sk-|sk_|rk_|pk_live|ghp_|gho_|ghs_|github_pat_|glpat-|xox[abpr]-|AKIA|AIza|eyJ)[A-Za-z0-9._-]{8,}/;
/** Secret values shorter than this are not searched for: "abc" would match everywhere. */
const MIN_SECRET_LENGTH = 4;

/**
 * The command line (stdio) or URL (remote) of `config`, with credentials masked: known secret
 * values wherever they appear, the value of a credential-like flag (`--api-key X`,
 * `--token=X`), values shaped like provider keys, and a URL's password and credential-like
 * query parameters.
 */
export function describeTarget(config: ServerConfig, secretValues: Iterable<string>): string {
  const secrets = [...secretValues].filter((v) => v.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  const maskSecrets = (text: string): string => secrets.reduce((out, secret) => out.split(secret).join(MASK), text);
  if (config.transport !== 'stdio') return maskSecrets(maskUrl(config.url));
  const words = [config.command, ...config.args];
  const masked = words.map((word, i) => {
    const flag = /^(--?[^=\s]+)=(.*)$/s.exec(word);
    if (flag && SENSITIVE_NAME.test(flag[1]!.replace(/^-+/, '')) && flag[2] !== '') return `${flag[1]}=${MASK}`;
    const previous = i > 0 ? words[i - 1]! : '';
    if (i > 0 && /^--?[A-Za-z]/.test(previous) && !previous.includes('=') && SENSITIVE_NAME.test(previous.replace(/^-+/, '')) && !word.startsWith('-')) return MASK;
    if (CREDENTIAL_SHAPE.test(word)) return MASK;
    return maskSecrets(word);
  });
  // The mask is shown as it is, not quoted as if it were part of the argument.
  return masked.map((word) => (/^[A-Za-z0-9_@%+=:,./•-]+$/.test(word) ? word : quotePosix(word))).join(' ');
}

/** A URL with its password and credential-like query values masked (unparseable: returned as is). */
function maskUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw;
  }
  if (url.password) url.password = MASK;
  for (const [name, value] of [...url.searchParams]) {
    if (SENSITIVE_NAME.test(name) || CREDENTIAL_SHAPE.test(value)) url.searchParams.set(name, MASK);
  }
  try {
    return decodeURI(url.toString());
  } catch {
    return url.toString();
  }
}
