/**
 * Which config values are credentials, and how they are named and referenced once they move
 * to the secret store. One set of rules for `serve --config` (main/core/security) and the
 * control UI's import preview (shared/import-plan.ts); and what the secrets commands and screens
 * say about a secret in use.
 *
 * Runs in every process: no `node:*` imports.
 */
import type { ServerConfig } from './server-config.js';

/** Headers whose values are credentials: `Authorization`, `Proxy-Authorization`, `Cookie`, `*-Key`, `*Token*`, `*Secret*`, `*apikey*`. */
export function isSensitiveHeader(name: string): boolean {
  const n = name.toLowerCase();
  return (
    n === 'authorization' ||
    n === 'proxy-authorization' ||
    n === 'cookie' ||
    n.endsWith('-key') ||
    n.includes('token') ||
    n.includes('secret') ||
    n.includes('apikey') ||
    n.includes('api-key') ||
    n.includes('api_key')
  );
}

/** Env vars whose values are credentials: `*TOKEN*`, `*KEY*`, `*SECRET*`, `*PASSWORD*`, `*PASSWD*`, `*CREDENTIAL*` (any case). */
export function isSensitiveEnv(name: string): boolean {
  return /TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL/i.test(name);
}

/** `<server>-<field>` lower-cased, restricted to the characters of a secret name. */
export function secretName(server: string, field: string): string {
  const name = `${server}-${field}`
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
  return name.slice(0, 120) || 'secret';
}

/** `${secret:name}`. */
export function secretRef(name: string): string {
  return '${secret:' + name + '}';
}

/** Whether `value` contains at least one reference. */
export function hasSecretRef(value: string): boolean {
  return value.includes('${secret:');
}

/** One place a secret is referenced: a server's header or env var. */
export interface SecretUse {
  server: string;
  /** `headers.Authorization` or `env.GITHUB_TOKEN`. */
  field: string;
  /** The field's value as the registry holds it, e.g. `Bearer ${secret:github}`. */
  value: string;
}

/** Where `secret` is referenced in `servers`' headers and env, in registry order. */
export function secretUses(servers: ReadonlyArray<{ name: string; config: ServerConfig }>, secret: string): SecretUse[] {
  const ref = secretRef(secret);
  return servers.flatMap(({ name, config }) => {
    const [section, values] = config.transport === 'stdio' ? (['env', config.env] as const) : (['headers', config.headers] as const);
    return Object.entries(values)
      .filter(([, value]) => value.includes(ref))
      .map(([key, value]) => ({ server: name, field: `${section}.${key}`, value }));
  });
}

/** `gh (headers.Authorization) and tool (env.GITHUB_TOKEN)`. */
export function describeSecretUses(uses: readonly SecretUse[]): string {
  return joinWords(uses.map((use) => `${use.server} (${use.field})`));
}

/** `a`, `a and b`, `a, b and c`. */
export function joinWords(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/**
 * When `value` starts with an auth scheme (`Bearer abc`) that a header referring to `secret`
 * already writes (`Bearer ${secret:name}`), the header would carry it twice: the scheme, the
 * warning and the value without it. `undefined` when nothing doubles.
 */
export function doubledScheme(secret: string, value: string, uses: readonly SecretUse[]): { scheme: string; warning: string; stripped: string } | undefined {
  const match = /^([A-Za-z][A-Za-z0-9_-]*)\s+(\S.*)$/s.exec(value);
  if (!match) return undefined;
  const scheme = match[1]!;
  const writes = new RegExp(`(^|\\s)${scheme}\\s+${escapeRegExp(secretRef(secret))}`, 'i');
  const doubled = uses.filter((use) => use.field.startsWith('headers.') && writes.test(use.value));
  if (doubled.length === 0) return undefined;
  const where = joinWords(doubled.map((use) => `${use.server} sends ${use.field} as "${use.value}"`));
  return {
    scheme,
    stripped: match[2]!,
    warning: `the value starts with "${scheme} ", and ${where}: the server would get "${scheme} ${scheme} ...". Store the token alone (without "${scheme} ").`,
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
