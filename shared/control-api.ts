/**
 * The control API: what the UI can ask of a gateway. One contract, two transports. In a browser
 * (headless `gatehouse serve`) `createHttpControlApi` (`control-api-http.ts`) implements it over
 * `/admin` with the admin token; in the Electron window the renderer builds it over the
 * preload's bridge (`control-ipc.ts`). The renderer is written against {@link ControlApi} only.
 *
 * Runs in every process (renderer, preload, main, a browser): no `node:*`, no React. The DTOs
 * below are what the admin API answers; the core uses the same definitions where it has the
 * type (launch descriptions, tokens, stats, the audit event), and
 * `test/unit/shared/control-api.test.ts` checks the rest stay assignable from the core's own.
 */
import type { AuditEvent, AuditOutcome } from './audit-event.js';
import type { ClientChangePreview, ClientInstallAnswer, ClientInstallStatus, ClientRemoveAnswer } from './client-install.js';
import type { ToolFilter } from './server-config.js';
import type { ToolCallAnswer, ToolCallRequest } from './tool-call.js';

export type { ClientChangePreview, ClientInstallAnswer, ClientInstallStatus, ClientRemoveAnswer } from './client-install.js';
export type { ToolCallAnswer, ToolCallRequest, ToolCallResult, ToolContentBlock } from './tool-call.js';

// ---------------------------------------------------------------------------------------------
// DTOs
// ---------------------------------------------------------------------------------------------

/** Lifecycle state of a server as the list shows it (`disabled` when `enabled` is false). */
export type ServerStatus = 'stopped' | 'starting' | 'running' | 'degraded' | 'error' | 'disabled';

/** One server as `GET /admin/servers` lists it. Header and env values never appear: they may be secrets. */
export interface ServerView {
  name: string;
  transport: 'stdio' | 'sse' | 'streamable-http';
  /**
   * What the server is: its command line (stdio) or its URL (remote), with credentials masked
   * (secret values, values of credential-like flags and query parameters, a URL's password).
   */
  target?: string;
  enabled: boolean;
  status: string;
  reason?: string;
  since: number;
  pid?: number;
  lastError?: string;
  toolCount: number;
  /** Tools hidden by the tool filter. */
  filteredToolCount: number;
  /** Automatic restarts so far, when the next is due (while waiting), and how the last run ended. */
  restarts?: number;
  nextRestartAt?: number;
  lastExit?: { code: number | null; signal: string | null; at: number };
  /** `startup: "lazy"`, and whether it is asleep now (starts on first use). */
  lazy?: boolean;
  dormant?: boolean;
  /** The protocol era the backend speaks, once started: `modern` (2026-07-28) or `legacy` (2025). */
  protocolEra?: 'modern' | 'legacy';
  /** How each era's clients reach it on its per-server endpoint: byte stream or MCP-level bridge. */
  ways?: { legacyClients: 'passthrough' | 'bridged'; modernClients: 'passthrough' | 'bridged' };
  /**
   * Stdio servers, when the gateway checks approvals: `approved`, `pending` (never approved) or
   * `changed` (its launch changed since). A server waiting is `stopped` with reason
   * `waiting for approval: <command line>`.
   */
  approval?: 'approved' | 'pending' | 'changed';
  /** A remote server that wants an OAuth sign-in (its reason starts with `needs_auth:`). */
  needsAuth?: boolean;
}

/**
 * `GET /admin/servers/<name>`: the view plus its config in `mcpServers` form. Header and env
 * values are shown as {@link REDACTED}; a PUT that sends {@link REDACTED} back for a key keeps
 * the stored value.
 */
export interface ServerDetail extends ServerView {
  config: McpServerEntry;
  stderr?: string[];
  /**
   * The secrets each env var (stdio) or header (remote) refers to, by its name: `{ Authorization:
   * ["github-token"] }`. Values are redacted in `config`; this says which of them are references.
   */
  secretRefs?: Record<string, string[]>;
}

/** What the admin API puts in place of header and env values, and accepts back as "unchanged". */
export const REDACTED = '[REDACTED]';

/** A user-facing `mcpServers` entry (validated by `parseServerEntry` in `config-schema.ts`). */
export type McpServerEntry = Record<string, unknown>;

/** One tool of one server (`GET /admin/tools`). */
export interface ToolView {
  server: string;
  name: string;
  exposedName: string;
  shortened: boolean;
  /** Passes the server's tool filter. */
  enabled: boolean;
  description?: string;
  /** The JSON Schema of the tool's arguments, as its server lists it. */
  inputSchema?: Record<string, unknown>;
}

/** How a stdio server would launch: what a person is asked to approve (`GET /admin/approvals`). */
export interface LaunchDescription {
  server: string;
  /** As configured. */
  command: string;
  /** The file that would run, looked up on PATH; `undefined` when not found. */
  resolvedCommand?: string;
  args: string[];
  /** The resolved command and the args, quoted for reading (and pasting into a shell). */
  commandLine: string;
  /** The working folder: the configured one, or the gateway's own. */
  cwd: string;
  cwdIsDefault: boolean;
  /** Names of the env vars the server gets besides the default set (values are not shown: they may be secrets). */
  envNames: string[];
  /** Secrets referenced by the env. */
  secretRefs: string[];
  fingerprint: string;
}

export interface ApprovalView {
  server: string;
  status: 'not-needed' | 'approved' | 'pending' | 'changed';
  approval?: { fingerprint: string; approvedAt: string; source: string };
  launch: LaunchDescription;
}

export { AUDIT_KINDS, AUDIT_OUTCOMES } from './audit-event.js';
export type { AuditEvent, AuditKind, AuditOutcome } from './audit-event.js';

/**
 * Audit filters as the query string carries them. Every field is passed through as written:
 * times as `24h`, `7d`, ISO or epoch ms; names may hold `*` and `?` and comma-separated lists.
 */
export interface AuditFilter {
  since?: string;
  until?: string;
  server?: string;
  client?: string;
  method?: string;
  tool?: string;
  outcome?: string;
  kind?: string;
  q?: string;
}

export const AUDIT_FILTER_KEYS = ['since', 'until', 'server', 'client', 'method', 'tool', 'outcome', 'kind', 'q'] as const satisfies ReadonlyArray<keyof AuditFilter>;

export interface AuditPage {
  items: AuditEvent[];
  nextCursor: string | null;
}

/** One server's figures over the audit timeline (`GET /admin/stats`). */
export interface ServerStats {
  server: string;
  /** Request events (client requests through the gateway). */
  calls: number;
  /** Calls by outcome (every outcome listed, zeros included). */
  outcomes: Record<AuditOutcome, number>;
  /** Calls whose outcome is not `ok`. */
  errors: number;
  /** Over the last calls with a duration (a window of 1024); null when there are none. */
  p50Ms: number | null;
  p95Ms: number | null;
  /** How many durations the quantiles are over. */
  latencySamples: number;
  /** Lifecycle events by kind (start, exit, restart, error). */
  lifecycle: Record<string, number>;
  /**
   * The latest failure among the events counted (a request whose outcome is not `ok`, or a
   * lifecycle `error`); only in answers to a filtered query ({@link ControlApi.stats} with a filter).
   */
  lastError?: { time: number; message: string; outcome?: AuditOutcome };
}

/**
 * A token's access rules. `toolFilter` has the registry's shape (`allow`/`block` globs over a
 * backend's own, un-namespaced tool names) and applies to every server the token can use.
 */
export interface TokenAcl {
  servers: '*' | string[];
  toolFilter?: ToolFilter;
}

/** `client` tokens open the MCP endpoints; `admin` tokens open `/admin/*` (and nothing else). */
export type TokenKind = 'client' | 'admin';

/** A token as the API lists it: never the secret, never the hash. */
export interface TokenInfo {
  id: string;
  name: string;
  kind: TokenKind;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601; absent when never used. Written to disk at most once per flush interval. */
  lastUsedAt?: string;
  acl: TokenAcl;
  /** From the environment (or the desktop app's run): lives only as long as the process, cannot be revoked. */
  ephemeral: boolean;
}

/** The answer to a token creation: the only time the secret is available. */
export interface CreatedToken {
  token: TokenInfo;
  secret: string;
}

/** One place a secret is referred to: `headers.Authorization` of server `github`. */
export interface SecretUse {
  server: string;
  /** `headers.<name>` or `env.<NAME>`. */
  field: string;
  /**
   * The word before the reference when the value is `<scheme> ${secret:NAME}` (`Bearer`), so a
   * new value that starts with it again (`Bearer Bearer ...`) can be caught before it is stored.
   */
  scheme?: string;
}

/** A stored secret: never its value. */
export interface SecretInfo {
  name: string;
  /** ISO 8601: when it was last set. */
  updatedAt: string;
  /** Servers whose config refers to it. */
  usedBy: string[];
  uses?: SecretUse[];
}

export interface SecretsView {
  secrets: SecretInfo[];
  /** Secrets referenced by some server but not set. */
  missing: Array<{ name: string; usedBy: string[]; uses?: SecretUse[] }>;
}

/**
 * Where the gateway keeps secrets, and how well they are protected:
 *
 * - `os-keyring`: headless, `secrets.enc` with its key in the OS keyring;
 * - `key-file`: headless, `secrets.enc` with its key in a plain file beside it (`message` is the
 *   warning `serve` prints at every start);
 * - `safe-storage`: the desktop app, Electron `safeStorage` (Keychain, DPAPI, libsecret/kwallet);
 * - `encrypted-file`: `secrets.enc` in the desktop app, because the user chose it (`message` says so);
 * - `unavailable`: no secret can be stored (the store fails closed); `message` says why.
 */
export interface SecretStoreStatus {
  kind: 'os-keyring' | 'key-file' | 'safe-storage' | 'encrypted-file' | 'unavailable';
  message?: string;
  /** The desktop app offers the encrypted-file store instead ({@link ControlApi.chooseEncryptedFileSecrets}). */
  canChooseEncryptedFile?: boolean;
}

/** `GET /admin/info`: what is running and where it keeps secrets. */
export interface GatewayInfo {
  /** Gatehouse's version (package.json). */
  version: string;
  /** The data directory (registry, tokens, audit), when the gateway has one. */
  dataDir?: string;
  /** `true` inside the desktop app, `false` for `gatehouse serve`. */
  desktop: boolean;
  secretStore: SecretStoreStatus;
}

/** How a limit's number reads: bytes, milliseconds, a rate per second, or a plain count. */
export type LimitUnit = 'bytes' | 'ms' | 'per-second' | 'count';

/**
 * One gateway limit as Settings shows it (`GET /admin/settings`). Precedence: a `gatehouse
 * serve` flag, then the value saved in Settings, then the default.
 */
export interface LimitSetting {
  /** The limit's name in `GatewayLimits` and in `registry.json` (`settings.limits.<key>`). */
  key: string;
  title: string;
  description: string;
  unit: LimitUnit;
  /** What the running gateway applies now. */
  value: number;
  /** What the settings, flags and defaults give; differs from {@link value} until a restart for `restart` limits. */
  configured: number;
  default: number;
  /** The value saved in Settings, when there is one. */
  saved?: number;
  /** Where {@link configured} comes from. */
  source: 'flag' | 'settings' | 'default';
  /** `live`: a saved change applies at once; `restart`: at the gateway's next start. */
  applies: 'live' | 'restart';
  /** Whole numbers only. */
  integer: boolean;
  /** Smallest value (excluded when {@link minExclusive}). */
  min?: number;
  minExclusive?: boolean;
  max?: number;
}

/** `GET /admin/settings`: the gateway's settings that the UI edits. */
export interface GatewaySettings {
  limits: LimitSetting[];
}

/**
 * `PUT /admin/settings`: each limit named is set to the number, or back to its default with
 * `null`; the others keep their saved values. A 400 names each bad field in `details`
 * (`limits.<key>: <what is wrong>`).
 */
export interface SettingsPatch {
  limits?: Record<string, number | null>;
}

/**
 * The answer to {@link ControlApi.signIn}: the authorization URL to open, and whether the gateway
 * already opened it (the desktop app hands it to the system browser). `url` is empty when no
 * browser step was needed (the server accepted the stored credentials at once).
 */
export interface SignInStart {
  url: string;
  opened: boolean;
}

/** A file to save: the export of the audit timeline. */
export interface ExportedFile {
  fileName: string;
  mimeType: string;
  body: string;
}

/** A failure of a control API call: the HTTP status (0 for a network failure) and the gateway's message. */
export class ControlApiError extends Error {
  override readonly name = 'ControlApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Stops a subscription. */
export type Unsubscribe = () => void;

/**
 * Everything the control UI does. Every method rejects with a {@link ControlApiError}; a 401
 * means the admin token is missing or no longer valid.
 */
export interface ControlApi {
  /** Base URL of the gateway's MCP endpoints (`http://127.0.0.1:7420`), for client configs. */
  gatewayUrl(): string;

  listServers(): Promise<ServerView[]>;
  getServer(name: string): Promise<ServerDetail>;
  /** Creates a server; rejects with status 409 when the name exists, 400 with details when invalid. */
  addServer(name: string, entry: McpServerEntry): Promise<ServerView>;
  /** Creates or replaces a server. {@link REDACTED} values of `env`/`headers` keep the stored ones. */
  putServer(name: string, entry: McpServerEntry): Promise<ServerView>;
  removeServer(name: string): Promise<void>;
  startServer(name: string): Promise<ServerView>;
  stopServer(name: string): Promise<ServerView>;
  restartServer(name: string): Promise<ServerView>;
  serverLogs(name: string): Promise<string[]>;
  listApprovals(): Promise<ApprovalView[]>;
  /** Approves the launch that was shown (`fingerprint`); 409 if it changed since. */
  approveServer(name: string, fingerprint?: string): Promise<void>;

  listTools(): Promise<ToolView[]>;
  /**
   * Calls a tool as the admin, through the aggregate's access path (tool filter, audit): the
   * result or the call's error, and its audit entry. Rejects (400, 404, 409) only when the call
   * could not be made at all (bad request, unknown server or tool, server not running).
   */
  callTool(request: ToolCallRequest): Promise<ToolCallAnswer>;

  queryAudit(filter: AuditFilter, page?: { limit?: number; cursor?: string }): Promise<AuditPage>;
  /**
   * New audit events matching `filter`, as they happen, until the returned function is called.
   * `onError` is called once if the stream fails or ends; the caller may subscribe again.
   */
  streamAudit(filter: AuditFilter, onEvent: (event: AuditEvent) => void, onError?: (error: ControlApiError) => void): Unsubscribe;
  exportAudit(filter: AuditFilter, format: 'jsonl' | 'csv'): Promise<ExportedFile>;
  /**
   * Per-server figures. Without a filter: every call since the gateway opened its audit. With
   * one (the audit filter's fields, `since=1h`): the calls it matches, and each server's latest
   * failure among them.
   */
  stats(filter?: AuditFilter): Promise<ServerStats[]>;

  listTokens(): Promise<TokenInfo[]>;
  createToken(request: { name: string; kind?: 'client' | 'admin'; acl?: TokenAcl }): Promise<CreatedToken>;
  revokeToken(id: string): Promise<void>;

  listSecrets(): Promise<SecretsView>;
  /** Rejects with status 503 when no secret can be stored ({@link SecretStoreStatus} `unavailable`), with the reason. */
  setSecret(name: string, value: string): Promise<void>;
  deleteSecret(name: string): Promise<void>;

  /** The gateway's version, data directory and secret store. */
  info(): Promise<GatewayInfo>;
  /** The limits, each with its value, default, where it comes from and when a change applies. */
  getSettings(): Promise<GatewaySettings>;
  /** Saves limits; rejects with status 400 whose `details` name each bad field (`limits.<key>: ...`). */
  updateSettings(patch: SettingsPatch): Promise<GatewaySettings>;

  /** Where `client`'s entry for the aggregate (or `server`) would go, whether it is there, and whether this browser may install it. */
  clientInstallStatus(client: string, server?: string): Promise<ClientInstallStatus>;
  /** The diff that {@link installClient} or {@link removeClient} would apply, without applying it. */
  previewClientChange(client: string, request: { action: 'install' | 'remove'; server?: string }): Promise<ClientChangePreview>;
  /**
   * Writes the entry into the client's config file (backup first) with a new client token of its
   * own, as `gatehouse client install` does. 409 when `fingerprint` no longer matches the file.
   */
  installClient(client: string, request: { server?: string; force?: boolean; fingerprint?: string }): Promise<ClientInstallAnswer>;
  /** Takes the entry out again (backup first) and revokes the tokens its installs created. */
  removeClient(client: string, request: { server?: string; fingerprint?: string }): Promise<ClientRemoveAnswer>;
  /**
   * Starts an OAuth sign-in to a remote server that needs one ({@link ServerView.needsAuth}).
   * When `opened` is false the caller opens `url` itself; the server view stops saying
   * `needsAuth` once the browser comes back to the gateway.
   */
  signIn(name: string): Promise<SignInStart>;

  /**
   * Desktop only (absent over HTTP): use the encrypted-file store from now on, where the OS
   * credential store is unavailable ({@link SecretStoreStatus.canChooseEncryptedFile}). The
   * choice is remembered; resolves with the info after the gateway switched stores.
   */
  chooseEncryptedFileSecrets?(): Promise<GatewayInfo>;
  /**
   * Desktop only (absent over HTTP, where the UI polls {@link listServers}): every server's view
   * now and after each change, until the returned function is called.
   */
  watchServers?(onChange: (servers: ServerView[]) => void): Unsubscribe;
}
