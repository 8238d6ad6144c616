/**
 * Secret references in registry entries: `${secret:NAME}` inside header values (remote
 * servers) and env values (stdio servers), e.g. `"Authorization": "Bearer ${secret:github}"`.
 * The registry keeps the references; values are filled in only at launch or connect time, in
 * memory, by {@link resolveSecretRefs}.
 *
 * Only `headers` and `env` are resolved. A reference anywhere else (args, url, cwd) stays as
 * written: arguments are visible to every local user through the process list, so they are no
 * place for a secret.
 */
import type { ServerConfig } from '../../../shared/server-config.js';
import { hasSecretRef, secretRef } from '../../../shared/credentials.js';
import { checkSecretName, type SecretStore } from './secret-store.js';

export { hasSecretRef, secretRef };

const REF_PATTERN = /\$\{secret:([^}]*)\}/g;

/** One use of a reference in a server's config. */
export interface SecretRefUse {
  /** `headers.Authorization` or `env.GITHUB_TOKEN`. */
  field: string;
  /** The secret's name. */
  name: string;
}

/** Every reference in the config's headers or env, in field order. */
export function findSecretRefs(config: ServerConfig): SecretRefUse[] {
  const uses: SecretRefUse[] = [];
  const [section, values] = resolvable(config);
  for (const [key, value] of Object.entries(values)) {
    for (const match of value.matchAll(REF_PATTERN)) uses.push({ field: `${section}.${key}`, name: match[1]! });
  }
  return uses;
}

/** The distinct secret names a config refers to, sorted. */
export function secretNamesIn(config: ServerConfig): string[] {
  return [...new Set(findSecretRefs(config).map((use) => use.name))].sort();
}

/** Thrown by {@link resolveSecretRefs}; the message names the server, the field and the secret. */
export class MissingSecretError extends Error {
  override readonly name = 'MissingSecretError';

  /**
   * @param reason `unknown`: not set; `invalid`: not a secret name; `unavailable`: the gateway
   *   has no working secret store, `why` says why.
   */
  constructor(
    readonly server: string,
    readonly field: string,
    readonly secret: string,
    reason: 'unknown' | 'invalid' | 'unavailable',
    why?: string,
  ) {
    super(
      reason === 'unknown'
        ? `server "${server}": ${field} refers to secret "${secret}", which is not set (set it with: gatehouse secrets set ${secret})`
        : reason === 'unavailable'
          ? `server "${server}": ${field} refers to secret "${secret}", but no secret can be stored: ${why ?? 'the secret store is unavailable'}`
          : `server "${server}": ${field} has an invalid secret reference ${secretRef(secret)} (${checkSecretName(secret)})`,
    );
  }
}

/**
 * A copy of `config` with every reference in its headers or env replaced by the secret's value,
 * for launching or connecting. Never store the result.
 *
 * @throws MissingSecretError for the first reference whose secret is not set or whose name is invalid.
 */
export async function resolveSecretRefs<T extends ServerConfig>(
  config: T,
  store: Pick<SecretStore, 'get' | 'unavailableReason'>,
  server: string,
): Promise<T> {
  const [section, values] = resolvable(config);
  const resolved: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (!hasSecretRef(value)) {
      resolved[key] = value;
      continue;
    }
    const names = [...value.matchAll(REF_PATTERN)].map((m) => m[1]!);
    const found = new Map<string, string>();
    for (const name of names) {
      const field = `${section}.${key}`;
      if (checkSecretName(name) !== undefined) throw new MissingSecretError(server, field, name, 'invalid');
      const secret = await store.get(name);
      if (secret === undefined) {
        const why = store.unavailableReason;
        throw why !== undefined ? new MissingSecretError(server, field, name, 'unavailable', why) : new MissingSecretError(server, field, name, 'unknown');
      }
      found.set(name, secret);
    }
    // A function replacement, so `$&` or `$1` inside a secret value are not interpreted.
    resolved[key] = value.replace(REF_PATTERN, (_, name: string) => found.get(name)!);
  }
  const copy = structuredClone(config);
  if (copy.transport === 'stdio') copy.env = resolved;
  else copy.headers = resolved;
  return copy;
}

function resolvable(config: ServerConfig): ['env' | 'headers', Record<string, string>] {
  return config.transport === 'stdio' ? ['env', config.env] : ['headers', config.headers];
}
