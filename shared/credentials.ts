/**
 * Which config values are credentials, and how they are named and referenced once they move
 * to the secret store. One set of rules for `serve --config` (main/core/security) and the
 * control UI's import preview (shared/import-plan.ts).
 *
 * Runs in every process: no `node:*` imports.
 */

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
