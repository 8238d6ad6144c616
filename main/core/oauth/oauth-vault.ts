/**
 * Where the OAuth state of each remote server lives: the {@link SecretStore}, under names of
 * the form `oauth.<server>.<what>` (the store's names allow letters, digits, `.`, `-`, `_`).
 * Nothing of it ever goes to a plain file.
 *
 * - `oauth.<server>.tokens`: access and refresh token, expiry, scope, issuer (JSON);
 * - `oauth.<server>.client`: the client registration (dynamic, or entered by the user) (JSON);
 * - `oauth.<server>.discovery`: protected-resource and authorization-server metadata (JSON);
 * - `oauth.<server>.verifier`: the PKCE code verifier while a sign-in is under way.
 */
import type { OAuthDiscoveryState, StoredOAuthClientInformation, StoredOAuthTokens } from '@modelcontextprotocol/client';
import type { SecretStore } from '../security/secret-store.js';

/** The parts of a server's OAuth state, each one secret. */
export type VaultPart = 'tokens' | 'client' | 'discovery' | 'verifier';

export const VAULT_PARTS: readonly VaultPart[] = ['tokens', 'client', 'discovery', 'verifier'];

/** The secret name of one part of `server`'s OAuth state. */
export function oauthSecretName(server: string, part: VaultPart): string {
  return `oauth.${server}.${part}`;
}

/** Tokens as stored: the token response plus when it was obtained and when it expires (ms since epoch). */
export interface VaultTokens extends StoredOAuthTokens {
  obtained_at: number;
  expires_at?: number;
}

/** A client registration as stored, with how it came to be and the redirect URL it was registered with. */
export interface VaultClient {
  kind: 'dynamic' | 'pre-registered' | 'metadata-document';
  info: StoredOAuthClientInformation;
  redirectUrl: string;
}

/** Typed JSON access to one server's OAuth secrets. */
export class OAuthVault {
  constructor(private readonly secrets: SecretStore) {}

  async tokens(server: string): Promise<VaultTokens | undefined> {
    return this.#read<VaultTokens>(server, 'tokens');
  }

  async saveTokens(server: string, tokens: VaultTokens): Promise<void> {
    await this.secrets.set(oauthSecretName(server, 'tokens'), JSON.stringify(tokens));
  }

  async client(server: string): Promise<VaultClient | undefined> {
    return this.#read<VaultClient>(server, 'client');
  }

  async saveClient(server: string, client: VaultClient): Promise<void> {
    await this.secrets.set(oauthSecretName(server, 'client'), JSON.stringify(client));
  }

  async discovery(server: string): Promise<OAuthDiscoveryState | undefined> {
    return this.#read<OAuthDiscoveryState>(server, 'discovery');
  }

  async saveDiscovery(server: string, state: OAuthDiscoveryState): Promise<void> {
    await this.secrets.set(oauthSecretName(server, 'discovery'), JSON.stringify(state));
  }

  async verifier(server: string): Promise<string | undefined> {
    return this.secrets.get(oauthSecretName(server, 'verifier'));
  }

  async saveVerifier(server: string, verifier: string): Promise<void> {
    await this.secrets.set(oauthSecretName(server, 'verifier'), verifier);
  }

  async delete(server: string, ...parts: VaultPart[]): Promise<void> {
    for (const part of parts) await this.secrets.delete(oauthSecretName(server, part));
  }

  async #read<T>(server: string, part: VaultPart): Promise<T | undefined> {
    const raw = await this.secrets.get(oauthSecretName(server, part));
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(raw) as T;
    } catch {
      return undefined;
    }
  }
}

/**
 * The token strings inside the stored OAuth secrets, for the audit redactor: the store's
 * `values()` holds the JSON documents, in which an access token is only a substring.
 */
export function oauthTokenValues(values: Iterable<string>): string[] {
  const out: string[] = [];
  for (const value of values) {
    if (!value.startsWith('{') || !value.includes('"access_token"')) continue;
    try {
      const parsed = JSON.parse(value) as Partial<VaultTokens>;
      for (const token of [parsed.access_token, parsed.refresh_token, parsed.id_token]) if (typeof token === 'string') out.push(token);
    } catch {
      // Not ours.
    }
  }
  return out;
}
