/**
 * Client-config generators: for each desktop AI client, the exact snippet that points it at
 * Gatehouse, where it goes, and (for installable clients) the entry in structured form.
 *
 * Formats follow `shared/CLIENTS.md` (read 2026-11-21); each generator names the client's own
 * source beside it. Rules shared by all of them:
 * - the token is never written in plain text where the client can read it from the environment
 *   or its own secret input (`${input:...}`, `bearer_token_env_var`, `${env:...}`, ...);
 * - copied shell commands single-quote the token reference so the shell does not expand it;
 * - stdio-only clients get an entry that runs `gatehouse bridge`, never a package fetched at run time;
 * - clients whose connectors run in a vendor's cloud get an explanation, not a snippet.
 *
 * Runs in every process: no `node:*` imports here.
 */
import { base64Utf8, shellCommand, tomlTable, yamlBlock } from './format.js';
import type { ClientId, ClientInfo, ClientOs, ConfigEntry, GeneratedConfig, GenerateOptions } from './types.js';

/** Default entry name in the client's config. */
export const DEFAULT_ENTRY_NAME = 'gatehouse';
/** Default environment variable that holds the client token. */
export const DEFAULT_TOKEN_ENV_VAR = 'GATEHOUSE_TOKEN';
/** What stands in for the token where the client can only take it literally. */
export const TOKEN_PLACEHOLDER = '<client token>';
/** What stands in for the gatehouse executable when the caller does not know its path. */
export const GATEHOUSE_PLACEHOLDER = '<absolute path to gatehouse>';
/** The URL schemes of the one-click install links below, which the desktop app may hand to the OS. */
export const DEEP_LINK_SCHEMES = ['cursor:', 'vscode:', 'vsweb+mcp:', 'https:'] as const;

/** The endpoint URL for the aggregate (no `server`) or one server, from the gateway's base URL. */
export function endpointUrl(baseUrl: string, server?: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return server === undefined ? `${base}/mcp` : `${base}/servers/${encodeURIComponent(server)}/mcp`;
}

interface Ctx {
  url: string;
  name: string;
  envVar: string;
  literal: string;
  tools: readonly string[] | undefined;
  bridge: { command: string; args: readonly string[] };
}

type Spec = Omit<GeneratedConfig, 'client' | 'warnings' | 'literalToken'> & { warnings?: string[]; literalToken?: boolean };

interface ClientDef {
  title: string;
  transport: ClientInfo['transport'];
  build(ctx: Ctx): Spec;
}

const json = (value: unknown): string => JSON.stringify(value, null, 2);
const bearer = (ref: string): string => `Bearer ${ref}`;
const ALL_OS = (path: string): Partial<Record<ClientOs, string[]>> => ({ darwin: [path], linux: [path], win32: [path.replace(/^~/, '%USERPROFILE%').replace(/\//g, '\\')] });

/** Warnings for tool names longer than `max` once the client has put its prefix in front. */
function nameLengthWarnings(ctx: Ctx, client: string, prefix: string, max: number, effect: string): string[] {
  const long = (ctx.tools ?? []).filter((tool) => prefix.length + tool.length > max);
  if (long.length === 0) return [];
  const shown = long.slice(0, 5).map((t) => `${prefix}${t}`).join(', ');
  return [
    `${long.length} tool name${long.length === 1 ? '' : 's'} exceed ${client}'s ${max}-character limit once prefixed "${prefix}" (${shown}${long.length > 5 ? ', ...' : ''}): ${effect}. ` +
      `Use a shorter entry name, lower settings.toolNameMaxLength, or filter those tools.`,
  ];
}

/** A warning when the client sees more tools than it can use. */
function toolCountWarnings(ctx: Ctx, client: string, cap: number, effect: string): string[] {
  const count = ctx.tools?.length ?? 0;
  if (count <= cap) return [];
  return [`${client} ${effect} (${cap}); this endpoint offers ${count} tools. Point it at one server, or narrow the token's tool filter.`];
}

const LITERAL_WARNING = (file: string): string =>
  `This client cannot read the token from the environment, so ${file} holds the token itself: keep the file private to your user (mode 0600).`;

/** A stdio entry that runs Gatehouse's own bridge; the token goes in the child's environment. */
function bridgeEntry(ctx: Ctx): Record<string, unknown> {
  const args = [...ctx.bridge.args, 'bridge', '--url', ctx.url];
  if (ctx.envVar !== DEFAULT_TOKEN_ENV_VAR) args.push('--token-env', ctx.envVar);
  return { command: ctx.bridge.command, args, env: { [ctx.envVar]: ctx.literal } };
}

const CLIENTS: Record<ClientId, ClientDef> = {
  // Source: modelcontextprotocol/modelcontextprotocol docs/docs/2026-07-28/develop/connect-local-servers.mdx
  // @ b0f60ba; MSIX path: anthropics/claude-code#26073, #25579 (CLIENTS.md 3.1). The file is stdio only.
  'claude-desktop': {
    title: 'Claude Desktop',
    transport: 'stdio-bridge',
    build(ctx) {
      const value = bridgeEntry(ctx);
      const paths = {
        darwin: ['~/Library/Application Support/Claude/claude_desktop_config.json'],
        win32: [
          '%LOCALAPPDATA%\\Packages\\Claude_pzs8sxrjxfjjc\\LocalCache\\Roaming\\Claude\\claude_desktop_config.json',
          '%APPDATA%\\Claude\\claude_desktop_config.json',
        ],
        linux: ['~/.config/Claude/claude_desktop_config.json'],
      };
      return {
        snippet: json({ mcpServers: { [ctx.name]: value } }),
        language: 'json',
        location: { kind: 'file', scope: 'user', paths },
        notes: [
          "Claude Desktop's config file only runs local (stdio) servers, so it starts `gatehouse bridge`, which forwards to the gateway.",
          'Restart Claude Desktop after editing the file.',
        ],
        warnings: [LITERAL_WARNING('claude_desktop_config.json')],
        literalToken: true,
        tokenEnvVar: ctx.envVar,
        entry: { format: 'json', paths, container: ['mcpServers'], name: ctx.name, value },
      };
    },
  },

  // Source: Claude Code docs mcp.md (code.claude.com/docs/en/mcp; mirror thevibeworks/claude-code-docs @ 3f1ef7c),
  // CLIENTS.md 3.2: `type: "http"` is required; `${VAR}` is expanded in headers.
  'claude-code': {
    title: 'Claude Code (claude mcp add)',
    transport: 'http',
    build(ctx) {
      const value = { type: 'http', url: ctx.url, headers: { Authorization: bearer(`\${${ctx.envVar}}`) } };
      const command = shellCommand(['claude', 'mcp', 'add', '--transport', 'http', '--scope', 'user', ctx.name, ctx.url, '--header', `Authorization: Bearer \${${ctx.envVar}}`]);
      return {
        snippet: command,
        language: 'sh',
        location: { kind: 'command' },
        notes: [
          `Set ${ctx.envVar} to the client token in the environment Claude Code runs in; the single quotes keep the shell from writing the token itself into ~/.claude.json.`,
        ],
        warnings: nameLengthWarnings(ctx, 'Claude Code', `mcp__${ctx.name}__`, 64, 'Claude Code may drop them'),
        tokenEnvVar: ctx.envVar,
        // `claude mcp add --scope user` writes the top-level mcpServers of ~/.claude.json; install patches just that.
        entry: { format: 'json', paths: ALL_OS('~/.claude.json'), container: ['mcpServers'], name: ctx.name, value },
      };
    },
  },

  // Source: as claude-code; project scope `.mcp.json` at the project root.
  'claude-code-json': {
    title: 'Claude Code (.mcp.json)',
    transport: 'http',
    build(ctx) {
      const value = { type: 'http', url: ctx.url, headers: { Authorization: bearer(`\${${ctx.envVar}}`) } };
      return {
        snippet: json({ mcpServers: { [ctx.name]: value } }),
        language: 'json',
        location: { kind: 'file', scope: 'project', paths: { darwin: ['.mcp.json'], linux: ['.mcp.json'], win32: ['.mcp.json'] } },
        notes: [`Claude Code asks to approve project servers on first use. Set ${ctx.envVar} in its environment.`],
        warnings: nameLengthWarnings(ctx, 'Claude Code', `mcp__${ctx.name}__`, 64, 'Claude Code may drop them'),
        tokenEnvVar: ctx.envVar,
      };
    },
  },

  // Source: cursor.com/docs/mcp and cursor.com/docs/mcp/install-links (CLIENTS.md 3.3): `url`, no type needed,
  // `${env:NAME}` in headers; deep link config = base64(JSON of the server object).
  cursor: {
    title: 'Cursor',
    transport: 'http',
    build(ctx) {
      const value = { url: ctx.url, headers: { Authorization: bearer(`\${env:${ctx.envVar}}`) } };
      const paths = ALL_OS('~/.cursor/mcp.json');
      return {
        snippet: json({ mcpServers: { [ctx.name]: value } }),
        language: 'json',
        location: { kind: 'file', scope: 'user', paths },
        notes: [`Project alternative: .cursor/mcp.json. Cursor reads ${ctx.envVar} from its own environment (launch it from a shell that has it).`],
        warnings: toolCountWarnings(ctx, 'Cursor', 40, 'sends only the first 40 tools to the agent'),
        deepLink: `cursor://anysphere.cursor-deeplink/mcp/install?name=${encodeURIComponent(ctx.name)}&config=${encodeURIComponent(base64Utf8(JSON.stringify(value)))}`,
        tokenEnvVar: ctx.envVar,
        entry: { format: 'json', paths, container: ['mcpServers'], name: ctx.name, value },
      };
    },
  },

  // Source: microsoft/vscode-docs docs/agents/reference/mcp-configuration.md @ a5dc2e3; schema
  // microsoft/vscode src/vs/workbench/contrib/mcp/common/mcpConfiguration.ts @ a6937e4 (CLIENTS.md 3.4).
  vscode: {
    title: 'VS Code (user mcp.json)',
    transport: 'http',
    build: (ctx) => vscode(ctx, 'user'),
  },
  'vscode-workspace': {
    title: 'VS Code (.vscode/mcp.json)',
    transport: 'http',
    build: (ctx) => vscode(ctx, 'project'),
  },

  // Source: MicrosoftDocs/visualstudio-docs docs/ide/mcp-servers.md @ 01d07e3 (CLIENTS.md 3.5); env
  // interpolation unconfirmed, so the token is literal.
  'visual-studio': {
    title: 'Visual Studio',
    transport: 'http',
    build(ctx) {
      const value = { type: 'http', url: ctx.url, headers: { Authorization: bearer(ctx.literal) } };
      const paths = { win32: ['%USERPROFILE%\\.mcp.json'] };
      return {
        snippet: json({ servers: { [ctx.name]: value } }),
        language: 'json',
        location: { kind: 'file', scope: 'user', paths },
        notes: ['Visual Studio disables new tools by default: enable them in the chat tool picker.'],
        warnings: [LITERAL_WARNING('%USERPROFILE%\\.mcp.json')],
        literalToken: true,
        deepLink: `vsweb+mcp:/install?${encodeURIComponent(JSON.stringify({ name: ctx.name, type: 'http', url: ctx.url }))}`,
        entry: { format: 'json', paths, container: ['servers'], name: ctx.name, value },
      };
    },
  },

  // Source: docs.windsurf.com/windsurf/cascade/mcp (CLIENTS.md 3.6): `serverUrl`, `${env:VAR}` in headers,
  // "Cascade has a limit of 100 total tools".
  windsurf: {
    title: 'Windsurf',
    transport: 'http',
    build(ctx) {
      const value = { serverUrl: ctx.url, headers: { Authorization: bearer(`\${env:${ctx.envVar}}`) } };
      const paths = ALL_OS('~/.codeium/windsurf/mcp_config.json');
      return {
        snippet: json({ mcpServers: { [ctx.name]: value } }),
        language: 'json',
        location: { kind: 'file', scope: 'user', paths },
        notes: ['Press refresh in the MCP panel after editing.'],
        warnings: toolCountWarnings(ctx, 'Windsurf', 100, 'allows at most 100 enabled MCP tools'),
        tokenEnvVar: ctx.envVar,
        entry: { format: 'json', paths, container: ['mcpServers'], name: ctx.name, value },
      };
    },
  },

  // Source: cline/cline @ 21cb8d2 docs/mcp/mcp-overview.mdx, sdk/packages/shared/src/storage/paths.ts,
  // apps/vscode/src/services/mcp/McpHub.ts (CLIENTS.md 3.7): `type: "streamableHttp"` (omitting it means SSE).
  cline: {
    title: 'Cline',
    transport: 'http',
    build(ctx) {
      const value = { type: 'streamableHttp', url: ctx.url, headers: { Authorization: bearer(`\${env:${ctx.envVar}}`) }, disabled: false, autoApprove: [] };
      const paths = ALL_OS('~/.cline/data/settings/cline_mcp_settings.json');
      return {
        snippet: json({ mcpServers: { [ctx.name]: value } }),
        language: 'json',
        location: { kind: 'file', scope: 'user', paths },
        notes: ['CLINE_MCP_SETTINGS_PATH or CLINE_DIR move this file.'],
        warnings: nameLengthWarnings(ctx, 'Cline', '', 64, 'Cline truncates them'),
        tokenEnvVar: ctx.envVar,
        entry: { format: 'json', paths, container: ['mcpServers'], name: ctx.name, value },
      };
    },
  },

  // Source: openai/codex codex-rs/config/src/mcp_types.rs @ 00b17c2, core/src/mcp_connection_manager.rs
  // (MAX_TOOL_NAME_LENGTH = 64) (CLIENTS.md 3.9): no `type`, streamable HTTP only, token by env var name.
  codex: {
    title: 'Codex CLI / Codex app',
    transport: 'http',
    build(ctx) {
      const value = { url: ctx.url, bearer_token_env_var: ctx.envVar };
      const paths = ALL_OS('~/.codex/config.toml');
      return {
        snippet: tomlTable(['mcp_servers', ctx.name], value),
        language: 'toml',
        location: { kind: 'file', scope: 'user', paths },
        notes: [
          `Or: ${shellCommand(['codex', 'mcp', 'add', ctx.name, '--url', ctx.url, '--bearer-token-env-var', ctx.envVar])}`,
          `$CODEX_HOME moves the file. Codex sends "Authorization: Bearer <value of ${ctx.envVar}>".`,
        ],
        warnings: nameLengthWarnings(ctx, 'Codex', `mcp__${ctx.name}__`, 64, 'Codex shortens them with a hash suffix'),
        tokenEnvVar: ctx.envVar,
        entry: { format: 'toml', paths, container: ['mcp_servers'], name: ctx.name, value },
      };
    },
  },

  // Source: google-gemini/gemini-cli @ 5411f11 docs/tools/mcp-server.md, packages/cli/src/commands/mcp/add.ts,
  // packages/cli/src/utils/envVarResolver.ts, packages/core/src/tools/mcp-tool.ts (CLIENTS.md 3.10).
  'gemini-cli': {
    title: 'Gemini CLI',
    transport: 'http',
    build(ctx) {
      const value = { url: ctx.url, type: 'http', headers: { Authorization: bearer(`\${${ctx.envVar}}`) } };
      const paths = ALL_OS('~/.gemini/settings.json');
      const warnings = nameLengthWarnings(ctx, 'Gemini CLI', `mcp_${ctx.name}_`, 63, 'Gemini CLI truncates them in the middle');
      if (ctx.name.includes('_')) warnings.push(`Gemini CLI's policy parser splits tool names at the first "_": use an entry name without "_" (not "${ctx.name}").`);
      return {
        snippet: json({ mcpServers: { [ctx.name]: value } }),
        language: 'json',
        location: { kind: 'file', scope: 'user', paths },
        notes: [`Or: ${shellCommand(['gemini', 'mcp', 'add', '-s', 'user', '-t', 'http', '-H', `Authorization: Bearer \${${ctx.envVar}}`, ctx.name, ctx.url])}`],
        warnings,
        tokenEnvVar: ctx.envVar,
        entry: { format: 'jsonc', paths, container: ['mcpServers'], name: ctx.name, value },
      };
    },
  },

  // Source: gemini-cli docs/resources/migrating-to-antigravity-cli.md (migration-guide branch, 2026-06-26)
  // (CLIENTS.md 3.11): `serverUrl`; `$VAR` in headers shown by the official example (unconfirmed).
  'antigravity-cli': {
    title: 'Antigravity CLI',
    transport: 'http',
    build(ctx) {
      const value = { serverUrl: ctx.url, headers: { Authorization: bearer(`$${ctx.envVar}`) } };
      const paths = ALL_OS('~/.gemini/antigravity-cli/mcp_config.json');
      return {
        snippet: json({ mcpServers: { [ctx.name]: value } }),
        language: 'json',
        location: { kind: 'file', scope: 'user', paths },
        notes: ['Workspace alternative: .agents/mcp_config.json.'],
        warnings: [
          `Antigravity's expansion of $${ctx.envVar} in headers is unconfirmed; if the gateway answers 401, put the token itself in place of $${ctx.envVar}.`,
          ...toolCountWarnings(ctx, 'Antigravity', 100, 'reportedly allows at most 100 tools'),
        ],
        tokenEnvVar: ctx.envVar,
        entry: { format: 'json', paths, container: ['mcpServers'], name: ctx.name, value },
      };
    },
  },

  // Source: github/docs content/copilot/how-tos/copilot-cli/customize-copilot/add-mcp-servers.md @ 091100a
  // (CLIENTS.md 3.18): `type: "http"`, `tools` required, `${VAR}` in headers.
  'copilot-cli': {
    title: 'GitHub Copilot CLI',
    transport: 'http',
    build(ctx) {
      const value = { type: 'http', url: ctx.url, headers: { Authorization: bearer(`\${${ctx.envVar}}`) }, tools: ['*'] };
      const paths = ALL_OS('~/.copilot/mcp-config.json');
      return {
        snippet: json({ mcpServers: { [ctx.name]: value } }),
        language: 'json',
        location: { kind: 'file', scope: 'user', paths },
        notes: [
          `Or: ${shellCommand(['copilot', 'mcp', 'add', ctx.name, '--type', 'http', '--url', ctx.url, '--header', `Authorization=Bearer \${${ctx.envVar}}`, '--tools', '*'])}`,
          '$COPILOT_HOME moves the file.',
        ],
        tokenEnvVar: ctx.envVar,
        entry: { format: 'json', paths, container: ['mcpServers'], name: ctx.name, value },
      };
    },
  },

  // Source: zed-industries/zed docs/src/ai/mcp.md, crates/settings/src/settings_content/project.rs,
  // crates/paths/src/paths.rs, agent thread.rs MAX_TOOL_NAME_LENGTH (CLIENTS.md 3.12). No env interpolation.
  zed: {
    title: 'Zed',
    transport: 'http',
    build(ctx) {
      const value = { url: ctx.url, headers: { Authorization: bearer(ctx.literal) } };
      const paths = { darwin: ['~/.config/zed/settings.json'], linux: ['$XDG_CONFIG_HOME/zed/settings.json'], win32: ['%APPDATA%\\Zed\\settings.json'] };
      return {
        snippet: json({ context_servers: { [ctx.name]: value } }),
        language: 'jsonc',
        location: { kind: 'file', scope: 'user', paths },
        notes: ['This is your whole Zed settings file: add the context_servers key to it, keeping everything else.'],
        warnings: [LITERAL_WARNING('settings.json'), ...nameLengthWarnings(ctx, 'Zed', '', 64, 'Zed refuses them')],
        literalToken: true,
        entry: { format: 'jsonc', paths, container: ['context_servers'], name: ctx.name, value },
      };
    },
  },

  // Source: lmstudio-ai/docs @ c6854fb 0_app/2_mcp/index.mdx, deeplink.mdx (CLIENTS.md 3.13); path per
  // toolhive/docker (unconfirmed); "follows Cursor's notation"; no env interpolation documented.
  'lm-studio': {
    title: 'LM Studio',
    transport: 'http',
    build(ctx) {
      const value = { url: ctx.url, headers: { Authorization: bearer(ctx.literal) } };
      const paths = ALL_OS('~/.lmstudio/mcp.json');
      return {
        snippet: json({ mcpServers: { [ctx.name]: value } }),
        language: 'json',
        location: { kind: 'file', scope: 'user', paths },
        notes: ['In LM Studio: Program › Install › Edit mcp.json opens this file.'],
        warnings: [LITERAL_WARNING('mcp.json')],
        literalToken: true,
        entry: { format: 'json', paths, container: ['mcpServers'], name: ctx.name, value },
      };
    },
  },

  // Source: continuedev/continue @ d0a3c0b docs/customize/deep-dives/mcp.mdx,
  // packages/config-yaml/src/schemas/mcp/index.ts, core/context/mcp/MCPConnection.ts (apiKey → Bearer) (CLIENTS.md 3.14).
  continue: {
    title: 'Continue',
    transport: 'http',
    build(ctx) {
      const value = { name: ctx.name, type: 'streamable-http', url: ctx.url, apiKey: `\${{ secrets.${ctx.envVar} }}` };
      const paths = ALL_OS('~/.continue/config.yaml');
      return {
        snippet: yamlBlock({ mcpServers: [value] }),
        language: 'yaml',
        location: { kind: 'file', scope: 'user', paths },
        notes: [`Put ${ctx.envVar}=<client token> in ~/.continue/.env (Continue resolves secrets from there). MCP works in agent mode only.`],
        tokenEnvVar: ctx.envVar,
        entry: { format: 'yaml', paths, container: ['mcpServers'], name: ctx.name, value, shape: 'list' },
      };
    },
  },

  // Source: block/goose documentation/docs/guides/config-files.md @ 09f7063, ExtensionConfig::StreamableHttp and
  // substitute_env_vars in crates/goose (CLIENTS.md 3.15): `type: streamable_http`, `uri`, env_keys.
  goose: {
    title: 'Goose',
    transport: 'http',
    build(ctx) {
      const value = {
        enabled: true,
        type: 'streamable_http',
        name: ctx.name,
        description: 'Gatehouse MCP gateway',
        uri: ctx.url,
        env_keys: [ctx.envVar],
        headers: { Authorization: bearer(`\${${ctx.envVar}}`) },
        timeout: 300,
      };
      const paths = { darwin: ['~/.config/goose/config.yaml'], linux: ['~/.config/goose/config.yaml'], win32: ['%APPDATA%\\Block\\goose\\config\\config.yaml'] };
      return {
        snippet: yamlBlock({ extensions: { [ctx.name]: value } }),
        language: 'yaml',
        location: { kind: 'file', scope: 'user', paths },
        notes: [`Goose looks ${ctx.envVar} up in its secret store (goose configure) and substitutes it into the header.`],
        tokenEnvVar: ctx.envVar,
        entry: { format: 'yaml', paths, container: ['extensions'], name: ctx.name, value },
      };
    },
  },

  // Source: anomalyco/opencode packages/web/src/content/docs/mcp-servers.mdx @ 00a9a98, config.mdx @ 161aa25
  // (CLIENTS.md 3.16): `type: "remote"`, `{env:VAR}`, `oauth: false` keeps it off OAuth discovery.
  opencode: {
    title: 'opencode',
    transport: 'http',
    build(ctx) {
      const value = { type: 'remote', url: ctx.url, enabled: true, oauth: false, headers: { Authorization: bearer(`{env:${ctx.envVar}}`) } };
      const paths = ALL_OS('~/.config/opencode/opencode.json');
      return {
        snippet: json({ $schema: 'https://opencode.ai/config.json', mcp: { [ctx.name]: value } }),
        language: 'json',
        location: { kind: 'file', scope: 'user', paths },
        notes: ['Project alternative: opencode.json in the project root (approve it with opencode mcp approve).'],
        tokenEnvVar: ctx.envVar,
        entry: { format: 'jsonc', paths, container: ['mcp'], name: ctx.name, value, newFileTop: { $schema: 'https://opencode.ai/config.json' } },
      };
    },
  },

  // Source: kiro.dev/docs/mcp/configuration, kiro.dev/docs/cli/mcp/configuration, kiro.dev/docs/mcp/share
  // (CLIENTS.md 3.19): `url` (HTTP allowed for localhost), `${VAR}` in headers.
  kiro: {
    title: 'Kiro',
    transport: 'http',
    build(ctx) {
      const value = { url: ctx.url, headers: { Authorization: bearer(`\${${ctx.envVar}}`) }, disabled: false, autoApprove: [] };
      const paths = ALL_OS('~/.kiro/settings/mcp.json');
      return {
        snippet: json({ mcpServers: { [ctx.name]: value } }),
        language: 'json',
        location: { kind: 'file', scope: 'user', paths },
        notes: ['Workspace alternative: .kiro/settings/mcp.json.'],
        warnings: [`Kiro's \${VAR} expansion was reported missing in some versions (kirodotdev/Kiro#6635); if the gateway answers 401, check that first.`],
        deepLink: `https://kiro.dev/launch/mcp/add?name=${encodeURIComponent(ctx.name)}&config=${encodeURIComponent(JSON.stringify(value))}`,
        tokenEnvVar: ctx.envVar,
        entry: { format: 'json', paths, container: ['mcpServers'], name: ctx.name, value },
      };
    },
  },

  // Source: jetbrains.com/help/ai-assistant/mcp.html ("supports only ... stdio") (CLIENTS.md 3.17).
  'jetbrains-ai-assistant': {
    title: 'JetBrains AI Assistant',
    transport: 'stdio-bridge',
    build(ctx) {
      return {
        snippet: json({ mcpServers: { [ctx.name]: bridgeEntry(ctx) } }),
        language: 'json',
        location: { kind: 'ui', where: 'Settings › Tools › AI Assistant › Model Context Protocol (MCP) › Add › As JSON' },
        notes: ['AI Assistant runs local (stdio) servers, so it starts `gatehouse bridge`, which forwards to the gateway.'],
        warnings: [LITERAL_WARNING("the IDE's settings")],
        literalToken: true,
        tokenEnvVar: ctx.envVar,
      };
    },
  },

  // Source: jetbrains.com/help/junie/model-context-protocol-mcp.html ("only ... stdio"); CLI file path
  // ~/.junie/mcp/mcp.json from a third-party table (unconfirmed) (CLIENTS.md 3.17).
  junie: {
    title: 'Junie (JetBrains)',
    transport: 'stdio-bridge',
    build(ctx) {
      const value = bridgeEntry(ctx);
      const paths = ALL_OS('~/.junie/mcp/mcp.json');
      return {
        snippet: json({ mcpServers: { [ctx.name]: value } }),
        language: 'json',
        location: { kind: 'file', scope: 'user', paths },
        notes: ['Junie runs local (stdio) servers only, so it starts `gatehouse bridge`. In the IDE plugin, paste this in Settings › Tools › Junie › MCP Settings.'],
        warnings: [LITERAL_WARNING('mcp.json')],
        literalToken: true,
        tokenEnvVar: ctx.envVar,
        entry: { format: 'json', paths, container: ['mcpServers'], name: ctx.name, value },
      };
    },
  },

  // The `mcpServers` shape of Gatehouse's own import/export (shared/config-export.ts): `type` always given,
  // because several clients read a missing `type` as SSE or refuse it.
  'mcp-servers-json': {
    title: 'Generic mcpServers JSON',
    transport: 'http',
    build(ctx) {
      return {
        snippet: json({ mcpServers: { [ctx.name]: { type: 'streamable-http', url: ctx.url, headers: { Authorization: bearer(ctx.literal) } } } }),
        language: 'json',
        location: { kind: 'ui', where: "any client that reads the mcpServers JSON (check its spelling of type: http, streamable-http, ...)" },
        notes: ['Replace the token with an environment reference if the client expands one.'],
        literalToken: true,
      };
    },
  },

  raw: {
    title: 'URL and header',
    transport: 'any',
    build(ctx) {
      return {
        snippet: `URL: ${ctx.url}\nTransport: streamable HTTP\nHeader: Authorization: Bearer ${ctx.literal}`,
        language: 'text',
        location: { kind: 'ui', where: "the client's own form for a remote MCP server" },
        notes: ['X-API-Key: <client token> works too, for clients that can only set that header.'],
        literalToken: true,
      };
    },
  },

  // Source: Anthropic in anthropics/claude-ai-mcp#444 (2026-06-15) (CLIENTS.md 3.23).
  'claude-ai': {
    title: 'Claude.ai connectors',
    transport: 'unreachable',
    build: () => unreachable(
      "Claude.ai connectors (and the Connectors screen of Claude Desktop) are reached from Anthropic's servers, not from your machine, so they cannot reach Gatehouse on 127.0.0.1. " +
        "Use Claude Desktop's config file with `gatehouse bridge` (client claude-desktop) or Claude Code instead.",
    ),
  },

  // Source: openai/tunnel-client docs/architecture.md @ 3ab9bc3; ngrok docs (CLIENTS.md 3.24).
  chatgpt: {
    title: 'ChatGPT',
    transport: 'unreachable',
    build: () => unreachable(
      "ChatGPT connectors are called from OpenAI's cloud, also from the desktop app, so they cannot reach Gatehouse on 127.0.0.1. " +
        'Reaching it would need a public HTTPS tunnel with OAuth in front of Gatehouse, which it does not offer yet.',
    ),
  },
};

function unreachable(why: string): Spec {
  return { snippet: '', language: 'text', location: { kind: 'unreachable' }, notes: [why] };
}

function vscode(ctx: Ctx, scope: 'user' | 'project'): Spec {
  const inputId = `${ctx.name}-token`;
  const input = { type: 'promptString', id: inputId, description: 'Gatehouse client token', password: true };
  const value = { type: 'http', url: ctx.url, headers: { Authorization: bearer(`\${input:${inputId}}`) } };
  const paths = scope === 'user'
    ? { darwin: ['~/Library/Application Support/Code/User/mcp.json'], linux: ['~/.config/Code/User/mcp.json'], win32: ['%APPDATA%\\Code\\User\\mcp.json'] }
    : { darwin: ['.vscode/mcp.json'], linux: ['.vscode/mcp.json'], win32: ['.vscode\\mcp.json'] };
  // The URL handler takes the `code --add-mcp` shape; it has no `inputs`, so the link uses ${env:}.
  const linkConfig = { name: ctx.name, type: 'http', url: ctx.url, headers: { Authorization: bearer(`\${env:${ctx.envVar}}`) } };
  return {
    snippet: json({ inputs: [input], servers: { [ctx.name]: value } }),
    language: 'jsonc',
    location: { kind: 'file', scope, paths },
    notes: [
      'VS Code asks for the token the first time it starts the server and keeps it in its secret storage.',
      `The install link uses \${env:${ctx.envVar}} instead, which some VS Code versions do not expand in headers (microsoft/vscode#336232).`,
    ],
    warnings: toolCountWarnings(ctx, 'VS Code', 128, 'allows at most 128 tools per chat request'),
    deepLink: `vscode:mcp/install?${encodeURIComponent(JSON.stringify(linkConfig))}`,
    ...(scope === 'user' ? { entry: { format: 'jsonc', paths, container: ['servers'], name: ctx.name, value, inputs: [input] } satisfies ConfigEntry } : {}),
  };
}

/** Every client, in display order. */
export function listClients(): ClientInfo[] {
  return (Object.keys(CLIENTS) as ClientId[]).map((id) => {
    const def = CLIENTS[id];
    const sample = def.build(context({ url: 'http://127.0.0.1:7420/mcp' }));
    return { id, title: def.title, transport: def.transport, installable: sample.entry !== undefined };
  });
}

/** True when `id` names a client {@link generate} knows. */
export function isClientId(id: string): id is ClientId {
  return Object.hasOwn(CLIENTS, id);
}

function context(opts: Readonly<GenerateOptions>): Ctx {
  return {
    url: opts.url,
    name: opts.serverName ?? DEFAULT_ENTRY_NAME,
    envVar: opts.tokenEnvVar ?? DEFAULT_TOKEN_ENV_VAR,
    literal: opts.tokenPlaceholder ?? TOKEN_PLACEHOLDER,
    tools: opts.toolNames,
    bridge: { command: opts.bridgeCommand?.command ?? GATEHOUSE_PLACEHOLDER, args: opts.bridgeCommand?.args ?? [] },
  };
}

/**
 * The config for `client` that points it at `opts.url`. Pure: the same options give the same
 * snippet byte for byte. Throws on an unknown client id or an invalid env var / entry name.
 */
export function generate(client: ClientId, opts: Readonly<GenerateOptions>): GeneratedConfig {
  const def = CLIENTS[client];
  if (!def) throw new Error(`unknown client "${client}"`);
  const ctx = context(opts);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(ctx.envVar)) throw new Error(`"${ctx.envVar}" is not a valid environment variable name`);
  // Claude Code and Codex accept [A-Za-z0-9_-] only; it suits every other client too.
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(ctx.name)) throw new Error(`entry name "${ctx.name}" may contain only letters, digits, "-" and "_"`);
  const spec = def.build(ctx);
  return { client, ...spec, warnings: spec.warnings ?? [], literalToken: spec.literalToken ?? false };
}

/** The display title of a client. */
export function clientTitle(client: ClientId): string {
  return CLIENTS[client].title;
}
