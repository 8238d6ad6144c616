/**
 * Types of the client-config generators: what a desktop AI client needs in order to reach
 * Gatehouse, as a snippet to copy, a place to put it and (for installable clients) the entry in
 * structured form that `main/core/clients/install.ts` writes into the client's file.
 *
 * Runs in every process (main, renderer, browser): no `node:*` imports here.
 */

/** Every client (or client form) Gatehouse generates a config for. */
export const CLIENT_IDS = [
  'claude-desktop',
  'claude-code',
  'claude-code-json',
  'cursor',
  'vscode',
  'vscode-workspace',
  'visual-studio',
  'windsurf',
  'cline',
  'codex',
  'gemini-cli',
  'antigravity-cli',
  'copilot-cli',
  'zed',
  'lm-studio',
  'continue',
  'goose',
  'opencode',
  'kiro',
  'jetbrains-ai-assistant',
  'junie',
  'mcp-servers-json',
  'raw',
  'claude-ai',
  'chatgpt',
] as const;

/** One of {@link CLIENT_IDS}. */
export type ClientId = (typeof CLIENT_IDS)[number];

/** Operating systems that have their own config paths. */
export type ClientOs = 'darwin' | 'win32' | 'linux';

/**
 * Input of {@link generate}.
 *
 * `url` is the full endpoint the client should use: the aggregate `http://127.0.0.1:7420/mcp`
 * or one server's `http://127.0.0.1:7420/servers/<name>/mcp` (see {@link endpointUrl}).
 */
export interface GenerateOptions {
  /** Full endpoint URL (`.../mcp` or `.../servers/<name>/mcp`). */
  url: string;
  /** Name of the entry in the client's config. Default `gatehouse`. */
  serverName?: string;
  /** Environment variable holding the client token, for clients that expand variables. Default `GATEHOUSE_TOKEN`. */
  tokenEnvVar?: string;
  /**
   * Written where a client can only take the token literally (Claude Desktop's `env`, Zed, LM Studio,
   * Visual Studio, JetBrains, the generic JSON). Default `<client token>`. Install passes the
   * real secret here; copy-to-clipboard leaves the placeholder.
   */
  tokenPlaceholder?: string;
  /**
   * How a stdio client starts `gatehouse bridge`: the program and the arguments before `bridge`
   * (e.g. `node` and the path of `cli.js`). GUI clients do not see the shell's PATH, so this
   * should be absolute. Default: the placeholder `<absolute path to gatehouse>`.
   */
  bridgeCommand?: { command: string; args?: readonly string[] };
  /** Tools the client will see through `url` (exposed names), for the length and count warnings. */
  toolNames?: readonly string[];
}

/** Where a snippet goes. */
export type ClientLocation =
  | {
      kind: 'file';
      /** `user` is the current user's own file; `project` lives in a folder the client opens. */
      scope: 'user' | 'project';
      /**
       * Paths per OS. `~` is the home folder; `%APPDATA%`, `%LOCALAPPDATA%`, `%USERPROFILE%`
       * and `$XDG_CONFIG_HOME` are resolved by the installer. Project paths are relative.
       */
      paths: Partial<Record<ClientOs, readonly string[]>>;
    }
  /** The snippet is a shell command to run. */
  | { kind: 'command' }
  /** The client keeps its config in its own settings UI (pasted there). */
  | { kind: 'ui'; where: string }
  /** The client cannot reach Gatehouse on this machine at all. */
  | { kind: 'unreachable' };

/**
 * The entry in structured form, for install/remove. `container` is the key path of the object
 * (or list) that holds server entries; `name` the entry's key (or, for a list, the value of its
 * `name` field).
 */
export interface ConfigEntry {
  format: 'json' | 'jsonc' | 'toml' | 'yaml';
  /** The current user's file, per OS, most preferred first (same placeholders as {@link ClientLocation}). */
  paths: Partial<Record<ClientOs, readonly string[]>>;
  container: readonly string[];
  name: string;
  value: Readonly<Record<string, unknown>>;
  /** `map` (default): `container[name] = value`; `list`: an item of the list `container` whose `name` is `name`. */
  shape?: 'map' | 'list';
  /** VS Code `inputs` items (matched by `id`) that the entry refers to. */
  inputs?: ReadonlyArray<Readonly<Record<string, unknown>>>;
  /** The file's documented top-level keys to add when the file is created (e.g. opencode's `$schema`). */
  newFileTop?: Readonly<Record<string, unknown>>;
}

/** Output of {@link generate}. */
export interface GeneratedConfig {
  client: ClientId;
  /** The exact text to copy, or, for unreachable clients, an empty string. */
  snippet: string;
  language: 'json' | 'jsonc' | 'toml' | 'yaml' | 'sh' | 'text';
  location: ClientLocation;
  /** How to use it (restart needed, where the token goes, ...). */
  notes: string[];
  /** Problems: tool names too long for this client, too many tools, a plaintext token. */
  warnings: string[];
  /** A one-click install link carrying only placeholders, never a token. */
  deepLink?: string;
  /** Present when `gatehouse client install` can write this client's user file. */
  entry?: ConfigEntry;
  /** The environment variable the client reads the token from, when it reads one. */
  tokenEnvVar?: string;
  /** True when the snippet (or entry) holds the token itself rather than a reference to it. */
  literalToken: boolean;
}

/** One row of {@link listClients}. */
export interface ClientInfo {
  id: ClientId;
  title: string;
  /** How the client connects: over HTTP itself, through the stdio bridge, or not at all. */
  transport: 'http' | 'stdio-bridge' | 'unreachable' | 'any';
  installable: boolean;
}
