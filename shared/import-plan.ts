/**
 * Importing pasted client configs in the control UI: parse, preview which values go to the
 * secret store, then apply through the control API. The credential rules come from
 * `shared/credentials.ts`, the ones `gatehouse serve --config` uses too.
 *
 * Runs in every process: no `node:*`, no React.
 */
import { toMcpServersEntry } from './config-export.js';
import { parseConfigText } from './config-schema.js';
import type { ControlApi } from './control-api.js';
import { hasSecretRef, isSensitiveEnv, isSensitiveHeader, secretName, secretRef } from './credentials.js';
import type { ServerConfig } from './server-config.js';

export { hasSecretRef, isSensitiveEnv, isSensitiveHeader, secretName, secretRef };

/** A credential shown in a preview: the first two characters and the length, never the rest. */
export function maskValue(value: string): string {
  if (value.length <= 4) return '•'.repeat(value.length);
  return `${value.slice(0, 2)}${'•'.repeat(Math.min(12, value.length - 2))} (${value.length} chars)`;
}

const AUTH_SCHEME = /^([A-Za-z][A-Za-z0-9_-]*\s+)(\S.*)$/;

/** One value that goes to the secret store. `value` stays in memory until {@link applyImport}. */
export interface SecretMove {
  server: string;
  /** `env.API_KEY` or `headers.Authorization`. */
  field: string;
  secret: string;
  value: string;
  /** What the config holds instead, e.g. `Bearer ${secret:github-authorization}`. */
  reference: string;
}

/**
 * Moves one env or header value to a secret: the name the store keeps it under and the text
 * the config gets instead (`Authorization` keeps its scheme). `undefined` when nothing moves
 * (already a reference, or empty). `secret` names the secret (default `<server>-<key>`); an edit
 * of a value that already lives in a secret passes that secret's name, so it is replaced in place.
 */
export function moveToSecret(server: string, section: 'env' | 'headers', key: string, value: string, secret = secretName(server, key)): SecretMove | undefined {
  if (value.trim() === '' || hasSecretRef(value)) return undefined;
  const scheme = section === 'headers' && /^(proxy-)?authorization$/i.test(key) ? AUTH_SCHEME.exec(value) : null;
  return {
    server,
    field: `${section}.${key}`,
    secret,
    value: scheme ? scheme[2]! : value,
    reference: (scheme ? scheme[1]! : '') + secretRef(secret),
  };
}

/** One server of an import. */
export interface ImportItem {
  name: string;
  /** The config to store: credentials already replaced by references. */
  config: ServerConfig;
  /** A server of that name exists and will be replaced. */
  replaces: boolean;
  moves: SecretMove[];
}

export type ImportPlan = { ok: true; items: ImportItem[] } | { ok: false; errors: string[] };

/**
 * Reads pasted text: Claude Desktop / Cursor / Windsurf (`mcpServers`), VS Code (`servers`, or
 * `mcp.servers` in settings.json), through the same parser as `serve --config`. Sensitive env and
 * header values are planned to move to the secret store, as `serve --config` does.
 */
export function planImport(text: string, existing: readonly string[]): ImportPlan {
  const parsed = parseConfigText(text, 'pasted config');
  if (!parsed.ok) return parsed;
  const items = Object.entries(parsed.servers).map(([name, original]): ImportItem => {
    const config = structuredClone(original);
    const moves: SecretMove[] = [];
    const [section, values, sensitive] =
      config.transport === 'stdio' ? (['env', config.env, isSensitiveEnv] as const) : (['headers', config.headers, isSensitiveHeader] as const);
    for (const [key, value] of Object.entries(values)) {
      if (!sensitive(key)) continue;
      const move = moveToSecret(name, section, key, value);
      if (!move) continue;
      values[key] = move.reference;
      moves.push(move);
    }
    return { name, config, replaces: existing.includes(name), moves };
  });
  if (items.length === 0) return { ok: false, errors: ['the config lists no servers'] };
  return { ok: true, items };
}

/** Writes the secrets first, then the servers (so no server starts with a missing secret). */
export async function applyImport(api: Pick<ControlApi, 'setSecret' | 'putServer'>, items: readonly ImportItem[]): Promise<void> {
  for (const item of items) for (const move of item.moves) await api.setSecret(move.secret, move.value);
  for (const item of items) await api.putServer(item.name, toMcpServersEntry(item.config));
}
