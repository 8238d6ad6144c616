/**
 * The OAuth authorization broker: signs the gateway in to remote MCP servers that ask for
 * OAuth, keeps their tokens fresh, and says when a person has to sign in again.
 *
 * The protocol is the SDK's: `auth()` does discovery (RFC 9728 protected-resource metadata,
 * RFC 8414 authorization-server metadata), client registration (client ID metadata document,
 * else dynamic registration, unless the user entered a client), PKCE, the RFC 8707 `resource`
 * parameter and the RFC 9207 `iss` check; `refreshAuthorization()` refreshes. The broker adds
 * what a long-running gateway needs around it: state checked on the callback, tokens in the
 * {@link SecretStore} only, refresh ahead of expiry and on 401 with backoff, and a `needs_auth`
 * verdict instead of a silent retry loop.
 *
 * No `electron` here: opening a browser goes through the `openUrl` port.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  auth,
  discoverOAuthServerInfo,
  extractWWWAuthenticateParams,
  OAuthError,
  refreshAuthorization,
  selectClientAuthMethod,
  UnauthorizedError,
  computeScopeUnion,
} from '@modelcontextprotocol/client';
import type {
  AuthProvider,
  FetchLike,
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthDiscoveryState,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import type { RemoteServerConfig } from '../../../shared/server-config.js';
import { Emitter } from '../base/emitter.js';
import { errorMessage, type Logger } from '../base/logger.js';
import type { SecretStore } from '../security/secret-store.js';
import { OAuthVault, VAULT_PARTS, type VaultClient, type VaultTokens } from './oauth-vault.js';

/** What the broker tells the gateway. */
export type OAuthEvent =
  | { kind: 'authorized'; server: string }
  | { kind: 'needs_auth'; server: string; reason: string }
  | { kind: 'signed_out'; server: string };

/** A server's sign-in state as the admin API shows it: never a token. */
export interface OAuthStatus {
  server: string;
  /** `signed_in`: tokens held; `needs_auth`: a person must sign in; `pending`: a sign-in was started; `signed_out`: nothing held. */
  state: 'signed_in' | 'needs_auth' | 'pending' | 'signed_out';
  /** How the client is registered with the authorization server, once it is. */
  client?: VaultClient['kind'];
  issuer?: string;
  scope?: string;
  /** When the access token expires (ISO 8601). */
  expiresAt?: string;
  hasRefreshToken?: boolean;
  reason?: string;
  /** Scopes a 403 asked for that the current token lacks; the next sign-in asks for them. */
  scopeNeeded?: string;
}

/** Constructor dependencies of {@link OAuthBroker}. */
export interface OAuthBrokerDeps {
  secrets: SecretStore;
  logger: Logger;
  /** The gateway's own base URL (`http://127.0.0.1:<port>`), once it listens: redirects land there. */
  baseUrl: () => string | undefined;
  /** Opens an authorization URL in the user's browser (the Electron shell); headless leaves it out. */
  openUrl?: (url: string) => void | Promise<void>;
  /** Outbound HTTP to authorization servers (default: global fetch). */
  fetch?: FetchLike;
  now?: () => number;
  /** Waits between refresh attempts that failed for a transient reason; one more failure means `needs_auth`. Default 1, 2, 4, 8, 16 s. */
  retryDelaysMs?: readonly number[];
  /** How long a started sign-in waits for its callback. Default 10 minutes. */
  loginTtlMs?: number;
}

/** Client credentials a person entered for a provider that does not allow dynamic registration. */
export interface PreRegisteredClient {
  clientId: string;
  clientSecret?: string;
}

/** The result of a callback: what the browser is shown. */
export type CallbackResult = { ok: true; server: string } | { ok: false; status: number; message: string };

/** What a remote backend's transports get: the SDK auth seam plus a look at every response (step-up). */
export interface RemoteAuth {
  provider: AuthProvider;
  observe(response: Response): void;
}

interface PendingLogin {
  state: string;
  createdAt: number;
}

const DEFAULT_RETRY_DELAYS_MS = [1_000, 2_000, 4_000, 8_000, 16_000];
const DEFAULT_LOGIN_TTL_MS = 10 * 60_000;
/** Longest time before expiry at which a token is refreshed. */
const MAX_REFRESH_MARGIN_MS = 60_000;

/** Whether `config` takes part in OAuth: not turned off, and no `Authorization` header configured. */
export function usesOAuth(config: RemoteServerConfig): boolean {
  if (config.oauth === false) return false;
  return !Object.keys(config.headers).some((name) => name.toLowerCase() === 'authorization');
}

/** The sign-in command, for messages. */
function loginHint(server: string): string {
  return `sign in with: gatehouse auth login ${server}`;
}

/** Every reason of this kind starts with `needs_auth:`, so the UI can offer a "Sign in" button. */
function needsAuth(server: string, why: string): string {
  return `needs_auth: server "${server}" ${why}; ${loginHint(server)}`;
}

/**
 * One broker per gateway; state per server name. Methods never throw for expected failures
 * of a sign-in: they answer with a result or record `needs_auth`.
 */
export class OAuthBroker {
  readonly #vault: OAuthVault;
  readonly #deps: OAuthBrokerDeps;
  readonly #now: () => number;
  readonly #retryDelays: readonly number[];
  readonly #onDidChange = new Emitter<OAuthEvent>();
  /** Fired when a server is signed in, needs a sign-in, or was signed out. */
  readonly onDidChange = this.#onDidChange.event;

  readonly #configs = new Map<string, RemoteServerConfig>();
  /** Tokens as last read or saved: the pass-through reads them synchronously. */
  readonly #tokens = new Map<string, VaultTokens | null>();
  readonly #needsAuth = new Map<string, string>();
  readonly #pending = new Map<string, PendingLogin>();
  readonly #refreshing = new Map<string, Promise<void>>();
  readonly #failures = new Map<string, { count: number; retryAt: number }>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #scopeNeeded = new Map<string, string>();
  readonly #resourceMetadataUrl = new Map<string, URL>();
  #disposed = false;

  constructor(deps: OAuthBrokerDeps) {
    this.#deps = deps;
    this.#vault = new OAuthVault(deps.secrets);
    this.#now = deps.now ?? Date.now;
    this.#retryDelays = deps.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  }

  /** The redirect URL of `server`: the gateway's own listener, one stable path per server. */
  redirectUrl(server: string): string {
    const base = this.#deps.baseUrl();
    if (!base) throw new Error('the gateway is not listening yet');
    return `${base}/oauth/callback/${encodeURIComponent(server)}`;
  }

  /**
   * The auth seam for `server`'s transports, or `undefined` when it does not use OAuth. The
   * provider sends the current access token (refreshing first when it is about to expire) and,
   * on a 401, refreshes once or records `needs_auth` and throws {@link UnauthorizedError}.
   */
  remoteAuth(server: string, config: RemoteServerConfig): RemoteAuth | undefined {
    if (!usesOAuth(config)) return undefined;
    this.#configs.set(server, config);
    return {
      provider: {
        token: () => this.#currentToken(server),
        onUnauthorized: (ctx) => this.#onUnauthorized(server, ctx.response),
      },
      observe: (response) => this.#observe(server, response),
    };
  }

  /**
   * Why a failed start of `server` is an authorization problem (a reason starting with
   * `needs_auth:`), or `undefined` when it is not one.
   */
  authFailure(server: string, error: unknown): string | undefined {
    const recorded = this.#needsAuth.get(server);
    if (recorded) return recorded;
    if (UnauthorizedError.isInstance(error)) {
      const message = errorMessage(error);
      return message.startsWith('needs_auth:') ? message : this.#markNeedsAuth(server, 'refused the gateway\'s token');
    }
    const status = (error as { status?: unknown; data?: { status?: unknown } } | undefined)?.data?.status;
    if (status === 401 && this.#configs.has(server)) return this.#markNeedsAuth(server, 'refused the gateway\'s token even after a refresh');
    return undefined;
  }

  /** The access token held for `server` right now, without I/O (the per-server pass-through). */
  accessTokenNow(server: string): string | undefined {
    if (this.#needsAuth.has(server)) return undefined;
    return this.#tokens.get(server)?.access_token;
  }

  /** The pass-through saw a 401 with the current token: refresh (within the backoff) for the next request. */
  noteRejected(server: string): void {
    const config = this.#configs.get(server);
    if (!config || this.#needsAuth.has(server)) return;
    const failure = this.#failures.get(server);
    if (failure && failure.retryAt > this.#now()) return;
    this.#refresh(server).catch(() => undefined);
  }

  /** Loads stored tokens of `server` into memory and schedules their refresh (call at start). */
  async prepare(server: string, config: RemoteServerConfig): Promise<void> {
    if (!usesOAuth(config)) return;
    this.#configs.set(server, config);
    await this.#loadTokens(server);
    this.#schedule(server);
  }

  /**
   * Starts a sign-in: discovery, registration where needed, PKCE; returns the URL the user
   * opens, and whether it was handed to `openUrl` (a failing `openUrl` is logged, not fatal: the
   * caller shows the URL instead). The callback finishes it. `url` is empty when no browser step
   * was needed.
   */
  async startLogin(server: string, config: RemoteServerConfig, client?: PreRegisteredClient): Promise<{ url: string; opened: boolean }> {
    if (config.oauth === false) throw new Error(`server "${server}" has "oauth": false`);
    if (!usesOAuth(config)) throw new Error(`server "${server}" has an Authorization header configured: remove it to use OAuth`);
    this.#configs.set(server, config);
    const redirectUrl = this.redirectUrl(server);
    if (client) {
      const info: StoredOAuthClientInformation = { client_id: client.clientId, ...(client.clientSecret ? { client_secret: client.clientSecret } : {}) };
      await this.#vault.saveClient(server, { kind: 'pre-registered', info, redirectUrl });
    }
    // Fresh discovery for every sign-in: the server may have moved to another authorization server.
    await this.#vault.delete(server, 'discovery', 'verifier');
    this.#resourceMetadataUrl.delete(server);
    const provider = new GatewayOAuthProvider(this, server, config, redirectUrl, 'login');
    const scope = computeScopeUnion(config.oauth?.scopes?.join(' '), this.#scopeNeeded.get(server));
    const result = await auth(provider, {
      serverUrl: config.url,
      ...(scope ? { scope } : {}),
      forceReauthorization: true,
      ...this.#fetchOption(),
    });
    if (result === 'AUTHORIZED' || !provider.authorizationUrl) {
      await this.#signedIn(server);
      return { url: '', opened: false };
    }
    const url = provider.authorizationUrl.href;
    this.#deps.logger.info('oauth sign-in started', { server });
    let opened = false;
    if (this.#deps.openUrl) {
      try {
        await this.#deps.openUrl(url);
        opened = true;
      } catch (error) {
        this.#deps.logger.warn('cannot open the sign-in page', { server, error: errorMessage(error) });
      }
    }
    return { url, opened };
  }

  /**
   * The redirect from the authorization server: checks the state against the sign-in that was
   * started, then lets the SDK check `iss` (RFC 9207) and exchange the code with the verifier.
   */
  async handleCallback(server: string, config: RemoteServerConfig | undefined, params: URLSearchParams): Promise<CallbackResult> {
    const pending = this.#pending.get(server);
    if (!config || !pending) {
      return { ok: false, status: 400, message: `No sign-in to "${server}" is under way. Start one with: gatehouse auth login ${server}` };
    }
    const state = params.get('state') ?? '';
    if (!sameSecret(state, pending.state)) return { ok: false, status: 400, message: 'This sign-in link is not the one Gatehouse started (state mismatch).' };
    this.#pending.delete(server);
    if (this.#now() - pending.createdAt > (this.#deps.loginTtlMs ?? DEFAULT_LOGIN_TTL_MS)) {
      await this.#vault.delete(server, 'verifier');
      return { ok: false, status: 400, message: `The sign-in took too long. Start again with: gatehouse auth login ${server}` };
    }
    const error = params.get('error');
    const code = params.get('code');
    if (error !== null || code === null) {
      await this.#vault.delete(server, 'verifier');
      // Only the error code: descriptions come from an unauthenticated redirect.
      const what = error !== null && /^[a-z_]{1,64}$/.test(error) ? error : 'no authorization code';
      return { ok: false, status: 400, message: `The authorization server did not grant access (${what}).` };
    }
    const provider = new GatewayOAuthProvider(this, server, config, this.redirectUrl(server), 'callback');
    try {
      const iss = params.get('iss');
      await auth(provider, { serverUrl: config.url, authorizationCode: code, ...(iss !== null ? { iss } : {}), ...this.#fetchOption() });
    } catch (failure) {
      this.#deps.logger.warn('oauth code exchange failed', { server, error: errorMessage(failure) });
      return { ok: false, status: 400, message: `Signing in to "${server}" failed: ${describeFailure(failure)}` };
    } finally {
      await this.#vault.delete(server, 'verifier');
    }
    await this.#signedIn(server);
    return { ok: true, server };
  }

  /**
   * Signs out: revokes the tokens where the authorization server supports RFC 7009, then
   * deletes every stored part. Resolves with whether a revocation was accepted.
   */
  async logout(server: string, config: RemoteServerConfig | undefined): Promise<{ revoked: boolean; hadTokens: boolean }> {
    const tokens = await this.#vault.tokens(server);
    let revoked = false;
    if (tokens && config) {
      revoked = await this.#revoke(server, tokens).catch((error: unknown) => {
        this.#deps.logger.warn('oauth revocation failed', { server, error: errorMessage(error) });
        return false;
      });
    }
    await this.#vault.delete(server, ...VAULT_PARTS);
    this.#clear(server);
    this.#needsAuth.set(server, needsAuth(server, 'is signed out'));
    this.#onDidChange.fire({ kind: 'signed_out', server });
    return { revoked, hadTokens: tokens !== undefined };
  }

  /** The sign-in state of `server`, for the admin API. */
  async status(server: string, config: RemoteServerConfig): Promise<OAuthStatus | undefined> {
    if (!usesOAuth(config)) return undefined;
    const tokens = await this.#loadTokens(server);
    const client = await this.#vault.client(server);
    const pending = this.#pending.get(server);
    const reason = this.#needsAuth.get(server);
    const state = pending ? 'pending' : reason ? 'needs_auth' : tokens ? 'signed_in' : 'signed_out';
    const scopeNeeded = this.#scopeNeeded.get(server);
    return {
      server,
      state,
      ...(client ? { client: client.kind } : config.oauth && config.oauth.clientId ? { client: 'pre-registered' as const } : {}),
      ...(tokens?.issuer ? { issuer: tokens.issuer } : {}),
      ...(tokens?.scope ? { scope: tokens.scope } : {}),
      ...(tokens?.expires_at !== undefined ? { expiresAt: new Date(tokens.expires_at).toISOString() } : {}),
      ...(tokens ? { hasRefreshToken: tokens.refresh_token !== undefined } : {}),
      ...(reason ? { reason } : {}),
      ...(scopeNeeded ? { scopeNeeded } : {}),
    };
  }

  /** The recorded `needs_auth` reason of `server`, if any. */
  needsAuthReason(server: string): string | undefined {
    return this.#needsAuth.get(server);
  }

  /** Forgets a server that was removed (its stored secrets stay until `logout`). */
  forget(server: string): void {
    this.#clear(server);
    this.#configs.delete(server);
    this.#needsAuth.delete(server);
  }

  /** Stops every refresh timer. */
  dispose(): void {
    this.#disposed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#onDidChange.dispose();
  }

  // --- for GatewayOAuthProvider -------------------------------------------------------------

  /** @internal */
  get vault(): OAuthVault {
    return this.#vault;
  }

  /** @internal A sign-in's state parameter: random, remembered until its callback. */
  newState(server: string): string {
    const state = randomBytes(32).toString('base64url');
    this.#pending.set(server, { state, createdAt: this.#now() });
    return state;
  }

  /** @internal Tokens the SDK obtained, with their expiry made absolute. */
  async saveTokens(server: string, tokens: StoredOAuthTokens): Promise<void> {
    const now = this.#now();
    const stored: VaultTokens = {
      ...tokens,
      obtained_at: now,
      ...(tokens.expires_in !== undefined ? { expires_at: now + Number(tokens.expires_in) * 1000 } : {}),
    };
    delete stored.expires_in;
    await this.#vault.saveTokens(server, stored);
    this.#tokens.set(server, stored);
  }

  /** @internal Forgets the tokens (the authorization server no longer accepts them). */
  async dropTokens(server: string): Promise<void> {
    await this.#vault.delete(server, 'tokens');
    this.#tokens.set(server, null);
    this.#clearTimer(server);
  }

  /** @internal */
  async loadTokens(server: string): Promise<VaultTokens | undefined> {
    return this.#loadTokens(server);
  }

  // --- internals ----------------------------------------------------------------------------

  #fetchOption(): { fetchFn?: FetchLike } {
    return this.#deps.fetch ? { fetchFn: this.#deps.fetch } : {};
  }

  async #loadTokens(server: string): Promise<VaultTokens | undefined> {
    if (!this.#tokens.has(server)) this.#tokens.set(server, (await this.#vault.tokens(server)) ?? null);
    return this.#tokens.get(server) ?? undefined;
  }

  async #currentToken(server: string): Promise<string | undefined> {
    if (this.#needsAuth.has(server)) return undefined;
    let tokens = await this.#loadTokens(server);
    if (!tokens) return undefined;
    if (tokens.expires_at !== undefined && tokens.refresh_token && this.#now() >= tokens.expires_at - 2_000) {
      await this.#refresh(server).catch(() => undefined);
      tokens = await this.#loadTokens(server);
    } else if (!this.#timers.has(server)) this.#schedule(server);
    return this.#needsAuth.has(server) ? undefined : tokens?.access_token;
  }

  async #onUnauthorized(server: string, response: Response): Promise<void> {
    const challenge = response.headers.get('www-authenticate') ?? '';
    const config = this.#configs.get(server);
    // A plain 401 (no OAuth challenge) from a server not configured for OAuth is an ordinary failure.
    if (!/^\s*(Bearer|DPoP)\b/i.test(challenge) && !(config?.oauth && typeof config.oauth === 'object')) {
      throw new Error(`server "${server}" answered 401 without an OAuth challenge`);
    }
    const params = extractWWWAuthenticateParams(response);
    if (params.resourceMetadataUrl) this.#resourceMetadataUrl.set(server, params.resourceMetadataUrl);
    const recorded = this.#needsAuth.get(server);
    if (recorded) throw new UnauthorizedError(recorded);
    const tokens = await this.#loadTokens(server);
    if (!tokens) throw new UnauthorizedError(this.#markNeedsAuth(server, 'asks for an OAuth sign-in'));
    const failure = this.#failures.get(server);
    if (failure && failure.retryAt > this.#now()) {
      throw new Error(`server "${server}": token refresh failed; retrying in ${Math.ceil((failure.retryAt - this.#now()) / 1000)} s`);
    }
    await this.#refresh(server);
  }

  /** A 403 `insufficient_scope`: remember the scopes for the next sign-in (SEP-2350 step-up). */
  #observe(server: string, response: Response): void {
    if (response.status !== 403) return;
    const params = extractWWWAuthenticateParams(response);
    if (params.error !== 'insufficient_scope') return;
    const tokens = this.#tokens.get(server);
    const union = computeScopeUnion(this.#scopeNeeded.get(server), tokens?.scope ?? undefined, params.scope);
    if (!union) return;
    this.#scopeNeeded.set(server, union);
    this.#deps.logger.warn('oauth: server asks for more scope; sign in again to grant it', { server, scope: params.scope });
  }

  /** Refreshes `server`'s tokens once (concurrent callers share the attempt). */
  #refresh(server: string): Promise<void> {
    const running = this.#refreshing.get(server);
    if (running) return running;
    const attempt = this.#doRefresh(server).finally(() => this.#refreshing.delete(server));
    this.#refreshing.set(server, attempt);
    return attempt;
  }

  async #doRefresh(server: string): Promise<void> {
    const config = this.#configs.get(server);
    const tokens = await this.#loadTokens(server);
    if (!config || !tokens) throw new UnauthorizedError(this.#markNeedsAuth(server, 'asks for an OAuth sign-in'));
    if (!tokens.refresh_token) throw new UnauthorizedError(this.#markNeedsAuth(server, 'has an expired token and no refresh token'));
    try {
      const discovery = await this.#discovery(server, config);
      // A refresh sends no redirect URL: a client registered while the gateway had another port still works.
      const client = await this.#clientInformation(server, config, undefined);
      if (!client) throw new UnauthorizedError(this.#markNeedsAuth(server, 'has no registered OAuth client'));
      const resource = discovery.resourceMetadata?.resource;
      const next = await refreshAuthorization(discovery.authorizationServerUrl, {
        ...(discovery.authorizationServerMetadata ? { metadata: discovery.authorizationServerMetadata } : {}),
        clientInformation: client,
        refreshToken: tokens.refresh_token,
        ...(resource ? { resource } : {}),
        ...this.#fetchOption(),
      });
      const issuer = discovery.authorizationServerMetadata?.issuer ?? tokens.issuer;
      await this.saveTokens(server, { ...next, refresh_token: next.refresh_token ?? tokens.refresh_token, ...(issuer ? { issuer } : {}) });
      this.#failures.delete(server);
      this.#deps.logger.info('oauth token refreshed', { server });
      this.#schedule(server);
    } catch (error) {
      if (UnauthorizedError.isInstance(error)) throw error;
      if (error instanceof OAuthError && error.code !== 'server_error' && error.code !== 'temporarily_unavailable') {
        // The authorization server said no (invalid_grant: expired, revoked or reused): only a person can fix it.
        await this.#vault.delete(server, 'tokens');
        this.#tokens.set(server, null);
        throw new UnauthorizedError(this.#markNeedsAuth(server, `could not refresh its token (the authorization server answered ${error.code})`));
      }
      const count = (this.#failures.get(server)?.count ?? 0) + 1;
      const delay = this.#retryDelays[count - 1];
      if (delay === undefined) {
        this.#failures.delete(server);
        throw new UnauthorizedError(this.#markNeedsAuth(server, `could not refresh its token after ${count} attempts (${errorMessage(error)})`));
      }
      this.#failures.set(server, { count, retryAt: this.#now() + delay });
      this.#deps.logger.warn('oauth token refresh failed; retrying', { server, attempt: count, delayMs: delay, error: errorMessage(error) });
      this.#setTimer(server, delay);
      throw error;
    }
  }

  /** @internal The client to use: entered by the user, configured, or registered before with this redirect URL. */
  async clientInformation(server: string, config: RemoteServerConfig, redirectUrl: string | undefined): Promise<StoredOAuthClientInformation | undefined> {
    return this.#clientInformation(server, config, redirectUrl);
  }

  async #clientInformation(server: string, config: RemoteServerConfig, redirectUrl: string | undefined): Promise<StoredOAuthClientInformation | undefined> {
    const stored = await this.#vault.client(server);
    if (stored?.kind === 'pre-registered') return stored.info;
    const configured = config.oauth ? config.oauth.clientId : undefined;
    if (configured) return { client_id: configured };
    if (!stored) return undefined;
    // A dynamic registration names its redirect URL; the gateway's port may have changed since.
    if (stored.kind === 'dynamic' && redirectUrl !== undefined && stored.redirectUrl !== redirectUrl) return undefined;
    return stored.info;
  }

  async #discovery(server: string, config: RemoteServerConfig): Promise<OAuthDiscoveryState> {
    const cached = await this.#vault.discovery(server);
    if (cached?.authorizationServerUrl) return cached;
    const resourceMetadataUrl = this.#resourceMetadataUrl.get(server);
    const info = await discoverOAuthServerInfo(config.url, { ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}), ...this.#fetchOption() });
    const state: OAuthDiscoveryState = { ...info, ...(resourceMetadataUrl ? { resourceMetadataUrl: resourceMetadataUrl.href } : {}) };
    await this.#vault.saveDiscovery(server, state);
    return state;
  }

  /** RFC 7009: revoke the refresh token (which ends the grant) and the access token. */
  async #revoke(server: string, tokens: VaultTokens): Promise<boolean> {
    const config = this.#configs.get(server);
    const discovery = config ? await this.#vault.discovery(server) : undefined;
    // RFC 8414 names these; the SDK's OIDC-or-OAuth union type does not list them.
    const metadata = discovery?.authorizationServerMetadata as
      | { revocation_endpoint?: string; revocation_endpoint_auth_methods_supported?: string[]; token_endpoint_auth_methods_supported?: string[] }
      | undefined;
    const endpoint = metadata?.revocation_endpoint;
    if (!config || !endpoint) return false;
    const client = await this.#clientInformation(server, config, undefined);
    if (!client) return false;
    const methods = metadata.revocation_endpoint_auth_methods_supported ?? metadata.token_endpoint_auth_methods_supported ?? [];
    const method = selectClientAuthMethod(client, methods);
    const doFetch = this.#deps.fetch ?? fetch;
    let accepted = true;
    const pairs: Array<[string, string | undefined]> = [
      ['refresh_token', tokens.refresh_token],
      ['access_token', tokens.access_token],
    ];
    for (const [hint, token] of pairs) {
      if (!token) continue;
      const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' });
      const body = new URLSearchParams({ token, token_type_hint: hint });
      if (method === 'client_secret_basic' && client.client_secret) headers.set('authorization', `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`);
      else {
        body.set('client_id', client.client_id);
        if (method === 'client_secret_post' && client.client_secret) body.set('client_secret', client.client_secret);
      }
      const response = await doFetch(endpoint, { method: 'POST', headers, body });
      await response.body?.cancel().catch(() => undefined);
      accepted &&= response.ok;
    }
    return accepted;
  }

  async #signedIn(server: string): Promise<void> {
    this.#needsAuth.delete(server);
    this.#failures.delete(server);
    this.#scopeNeeded.delete(server);
    this.#tokens.delete(server);
    await this.#loadTokens(server);
    this.#schedule(server);
    this.#deps.logger.info('oauth sign-in complete', { server });
    this.#onDidChange.fire({ kind: 'authorized', server });
  }

  #markNeedsAuth(server: string, why: string): string {
    const existing = this.#needsAuth.get(server);
    if (existing) return existing;
    const reason = needsAuth(server, why);
    this.#needsAuth.set(server, reason);
    this.#clearTimer(server);
    this.#deps.logger.warn('oauth sign-in needed', { server, reason });
    this.#onDidChange.fire({ kind: 'needs_auth', server, reason });
    return reason;
  }

  /** Refresh ahead of expiry: at the latest a minute before, earlier for short-lived tokens (a quarter of their life). */
  #schedule(server: string): void {
    const tokens = this.#tokens.get(server);
    if (!tokens?.refresh_token || tokens.expires_at === undefined || this.#needsAuth.has(server)) return;
    const lifetime = tokens.expires_at - tokens.obtained_at;
    const margin = Math.min(MAX_REFRESH_MARGIN_MS, Math.max(500, lifetime / 4));
    this.#setTimer(server, Math.max(0, tokens.expires_at - margin - this.#now()));
  }

  #setTimer(server: string, delayMs: number): void {
    if (this.#disposed) return;
    this.#clearTimer(server);
    const timer = setTimeout(() => {
      this.#timers.delete(server);
      if (this.#disposed || this.#needsAuth.has(server)) return;
      this.#refresh(server).catch(() => undefined);
    }, delayMs);
    timer.unref();
    this.#timers.set(server, timer);
  }

  #clearTimer(server: string): void {
    clearTimeout(this.#timers.get(server));
    this.#timers.delete(server);
  }

  #clear(server: string): void {
    this.#clearTimer(server);
    this.#tokens.delete(server);
    this.#pending.delete(server);
    this.#failures.delete(server);
    this.#scopeNeeded.delete(server);
    this.#resourceMetadataUrl.delete(server);
  }
}

/**
 * The SDK's view of one server's OAuth state during a sign-in (`login`: up to the redirect;
 * `callback`: the code exchange). Everything persists in the secret store.
 */
class GatewayOAuthProvider implements OAuthClientProvider {
  authorizationUrl?: URL;
  readonly clientMetadataUrl?: string;

  constructor(
    private readonly broker: OAuthBroker,
    private readonly server: string,
    private readonly config: RemoteServerConfig,
    private readonly redirect: string,
    private readonly mode: 'login' | 'callback',
  ) {
    const url = config.oauth ? config.oauth.clientMetadataUrl : undefined;
    if (url) this.clientMetadataUrl = url;
  }

  get redirectUrl(): string {
    return this.redirect;
  }

  get clientMetadata(): OAuthClientMetadata {
    const scopes = this.config.oauth ? this.config.oauth.scopes : undefined;
    return {
      client_name: 'Gatehouse',
      redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...(scopes && scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
    };
  }

  state(): string {
    if (this.mode !== 'login') throw new Error('a state is only made when a sign-in starts');
    return this.broker.newState(this.server);
  }

  clientInformation(): Promise<StoredOAuthClientInformation | undefined> {
    return this.broker.clientInformation(this.server, this.config, this.redirect);
  }

  async saveClientInformation(info: StoredOAuthClientInformation): Promise<void> {
    const stored = await this.broker.vault.client(this.server);
    if (stored?.kind === 'pre-registered') {
      await this.broker.vault.saveClient(this.server, { ...stored, info: { ...stored.info, ...(info.issuer ? { issuer: info.issuer } : {}) } });
      return;
    }
    if (this.config.oauth && this.config.oauth.clientId === info.client_id) return;
    const kind = this.clientMetadataUrl !== undefined && info.client_id === this.clientMetadataUrl ? 'metadata-document' : 'dynamic';
    await this.broker.vault.saveClient(this.server, { kind, info, redirectUrl: this.redirect });
  }

  async tokens(): Promise<StoredOAuthTokens | undefined> {
    return this.broker.loadTokens(this.server);
  }

  saveTokens(tokens: StoredOAuthTokens): Promise<void> {
    return this.broker.saveTokens(this.server, tokens);
  }

  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
  }

  saveCodeVerifier(verifier: string): Promise<void> {
    return this.broker.vault.saveVerifier(this.server, verifier);
  }

  async codeVerifier(): Promise<string> {
    const verifier = await this.broker.vault.verifier(this.server);
    if (!verifier) throw new Error('the PKCE verifier of this sign-in is gone (was the gateway restarted?)');
    return verifier;
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    const vault = this.broker.vault;
    if (scope === 'all' || scope === 'tokens') await this.broker.dropTokens(this.server);
    if (scope === 'all') await vault.delete(this.server, 'client', 'verifier', 'discovery');
    else if (scope === 'client') {
      const stored = await vault.client(this.server);
      if (stored?.kind !== 'pre-registered') await vault.delete(this.server, 'client');
    } else if (scope !== 'tokens') await vault.delete(this.server, scope);
  }

  discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    return this.broker.vault.discovery(this.server);
  }

  saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    return this.broker.vault.saveDiscovery(this.server, state);
  }
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A failure of the code exchange in words for the browser page, without attacker-chosen text. */
function describeFailure(error: unknown): string {
  if (error instanceof OAuthError) return `the authorization server answered ${error.code}`;
  const name = error instanceof Error ? error.name : '';
  if (name === 'IssuerMismatchError') return 'the answer came from another authorization server than the one asked (iss mismatch)';
  if (name === 'AuthorizationServerMismatchError') return 'the authorization server changed during the sign-in';
  return errorMessage(error);
}
