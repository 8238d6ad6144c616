/**
 * On import, credentials leave the config: values of sensitive headers and env vars go to the
 * secret store and the config keeps `${secret:NAME}` references instead. The report says what
 * moved (server, field, secret name), never the value.
 */
import type { ServerConfig } from '../../../shared/server-config.js';
import { hasSecretRef, isSensitiveEnv, isSensitiveHeader, secretName, secretRef } from '../../../shared/credentials.js';
import type { SecretStore } from './secret-store.js';

export { isSensitiveEnv, isSensitiveHeader, secretName };

/** One value that moved into the store. */
export interface MovedSecret {
  server: string;
  /** `headers.Authorization` or `env.GITHUB_TOKEN`. */
  field: string;
  /** The secret's name, as referenced now. */
  secret: string;
  /** The store already held a different value under that name, which was replaced. */
  replaced: boolean;
}

/** Outcome of {@link extractSecrets}. */
export interface ExtractResult {
  /** The configs with references in place of the moved values (copies). */
  servers: Record<string, ServerConfig>;
  moved: MovedSecret[];
}

/** `Authorization: Bearer xyz` → scheme `Bearer `, credential `xyz`, so the reference keeps the scheme. */
const AUTH_SCHEME = /^([A-Za-z][A-Za-z0-9_-]*\s+)(\S.*)$/;

/**
 * Moves credential values of `servers` into `store` and returns the rewritten configs.
 *
 * - Names are `<server>-<field lower-cased>` (`github-authorization`, `memory-api_key`), with
 *   characters a secret name cannot hold turned into `-`. Importing the same config again
 *   writes the same names, so re-imports replace rather than pile up.
 * - `Authorization` and `Proxy-Authorization` keep their scheme: `Bearer ${secret:github-authorization}`.
 * - Values that already contain a reference, and empty values, are left alone.
 *
 * Secrets are written before this resolves; write the returned configs to the registry after.
 */
export async function extractSecrets(
  servers: Readonly<Record<string, ServerConfig>>,
  store: Pick<SecretStore, 'get' | 'set'>,
): Promise<ExtractResult> {
  const out: Record<string, ServerConfig> = {};
  const moved: MovedSecret[] = [];
  for (const [server, original] of Object.entries(servers)) {
    const config = structuredClone(original);
    const [section, values, isSensitive] =
      config.transport === 'stdio' ? (['env', config.env, isSensitiveEnv] as const) : (['headers', config.headers, isSensitiveHeader] as const);
    const used = new Set<string>();
    for (const [key, value] of Object.entries(values)) {
      if (!isSensitive(key) || value.trim() === '' || hasSecretRef(value)) continue;
      const scheme = /^(proxy-)?authorization$/i.test(key) ? AUTH_SCHEME.exec(value) : null;
      const prefix = scheme ? scheme[1]! : '';
      const secretValue = scheme ? scheme[2]! : value;
      const name = uniqueName(secretName(server, key), used);
      const previous = await store.get(name);
      if (previous !== secretValue) await store.set(name, secretValue);
      values[key] = prefix + secretRef(name);
      moved.push({ server, field: `${section}.${key}`, secret: name, replaced: previous !== undefined && previous !== secretValue });
    }
    out[server] = config;
  }
  return { servers: out, moved };
}

function uniqueName(base: string, used: Set<string>): string {
  let name = base;
  for (let n = 2; used.has(name); n++) name = `${base}-${n}`;
  used.add(name);
  return name;
}
