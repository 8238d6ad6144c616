/**
 * The generators against the exact strings of shared/CLIENTS.md (deep links, commands), plus
 * the rules: no plaintext token where a client can read a reference, shell quoting, warnings.
 */
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CLIENT_IDS, endpointUrl, generate, listClients, shellQuote } from '../../../../shared/client-configs/index.js';

const URL = 'http://127.0.0.1:7420/mcp';

describe('deep links and commands, as in CLIENTS.md', () => {
  it('Cursor', () => {
    expect(generate('cursor', { url: URL }).deepLink).toBe(
      'cursor://anysphere.cursor-deeplink/mcp/install?name=gatehouse&config=eyJ1cmwiOiJodHRwOi8vMTI3LjAuMC4xOjc0MjAvbWNwIiwiaGVhZGVycyI6eyJBdXRob3JpemF0aW9uIjoiQmVhcmVyICR7ZW52OkdBVEVIT1VTRV9UT0tFTn0ifX0%3D',
    );
  });
  it('VS Code', () => {
    expect(generate('vscode', { url: URL }).deepLink).toBe(
      'vscode:mcp/install?%7B%22name%22%3A%22gatehouse%22%2C%22type%22%3A%22http%22%2C%22url%22%3A%22http%3A%2F%2F127.0.0.1%3A7420%2Fmcp%22%2C%22headers%22%3A%7B%22Authorization%22%3A%22Bearer%20%24%7Benv%3AGATEHOUSE_TOKEN%7D%22%7D%7D',
    );
  });
  it('Visual Studio', () => {
    expect(generate('visual-studio', { url: URL }).deepLink).toBe(
      'vsweb+mcp:/install?%7B%22name%22%3A%22gatehouse%22%2C%22type%22%3A%22http%22%2C%22url%22%3A%22http%3A%2F%2F127.0.0.1%3A7420%2Fmcp%22%7D',
    );
  });
  it('Kiro', () => {
    expect(generate('kiro', { url: URL }).deepLink).toBe(
      'https://kiro.dev/launch/mcp/add?name=gatehouse&config=%7B%22url%22%3A%22http%3A%2F%2F127.0.0.1%3A7420%2Fmcp%22%2C%22headers%22%3A%7B%22Authorization%22%3A%22Bearer%20%24%7BGATEHOUSE_TOKEN%7D%22%7D%2C%22disabled%22%3Afalse%2C%22autoApprove%22%3A%5B%5D%7D',
    );
  });
  it('Claude Code, Codex, Gemini CLI and Copilot CLI commands', () => {
    expect(generate('claude-code', { url: URL }).snippet).toBe(
      "claude mcp add --transport http --scope user gatehouse http://127.0.0.1:7420/mcp --header 'Authorization: Bearer ${GATEHOUSE_TOKEN}'",
    );
    expect(generate('codex', { url: URL }).notes[0]).toBe('Or: codex mcp add gatehouse --url http://127.0.0.1:7420/mcp --bearer-token-env-var GATEHOUSE_TOKEN');
    expect(generate('gemini-cli', { url: URL }).notes[0]).toBe(
      "Or: gemini mcp add -s user -t http -H 'Authorization: Bearer ${GATEHOUSE_TOKEN}' gatehouse http://127.0.0.1:7420/mcp",
    );
    expect(generate('copilot-cli', { url: URL }).notes[0]).toBe(
      "Or: copilot mcp add gatehouse --type http --url http://127.0.0.1:7420/mcp --header 'Authorization=Bearer ${GATEHOUSE_TOKEN}' --tools '*'",
    );
  });
});

describe('rules', () => {
  it('never puts a token in a snippet of a client that can read a reference', () => {
    const token = 'gth_SECRETSECRET';
    for (const id of CLIENT_IDS) {
      const config = generate(id, { url: URL, tokenPlaceholder: token });
      const text = `${config.snippet}\n${config.deepLink ?? ''}\n${JSON.stringify(config.entry ?? {})}`;
      expect(text.includes(token), id).toBe(config.literalToken);
      if (config.literalToken && config.location.kind === 'file') expect(config.warnings.join(' '), id).toMatch(/holds the token itself/);
    }
  });

  it('TOML and YAML snippets parse to the entry they describe', () => {
    const codex = generate('codex', { url: URL, serverName: 'gh-work' });
    expect(parseToml(codex.snippet)).toEqual({ mcp_servers: { 'gh-work': codex.entry!.value } });
    const goose = generate('goose', { url: URL });
    expect(parseYaml(goose.snippet)).toEqual({ extensions: { gatehouse: goose.entry!.value } });
    const cont = generate('continue', { url: URL });
    expect(parseYaml(cont.snippet)).toEqual({ mcpServers: [cont.entry!.value] });
  });

  it('JSON snippets are the entry inside its container', () => {
    for (const id of CLIENT_IDS) {
      const config = generate(id, { url: URL });
      if (!config.entry || config.entry.format === 'toml' || config.entry.format === 'yaml' || config.location.kind === 'command') continue;
      const doc = JSON.parse(config.snippet) as Record<string, Record<string, unknown>>;
      expect(doc[config.entry.container[0]!]![config.entry.name], id).toEqual(config.entry.value);
    }
  });

  it('uses the per-server URL and a custom env var everywhere', () => {
    const url = endpointUrl('http://127.0.0.1:7420/', 'my server');
    expect(url).toBe('http://127.0.0.1:7420/servers/my%20server/mcp');
    const codex = generate('codex', { url, tokenEnvVar: 'GH_TOKEN_WORK', serverName: 'work' });
    expect(codex.snippet).toBe('[mcp_servers.work]\nurl = "http://127.0.0.1:7420/servers/my%20server/mcp"\nbearer_token_env_var = "GH_TOKEN_WORK"');
    const desktop = generate('claude-desktop', { url, tokenEnvVar: 'GH_TOKEN_WORK', bridgeCommand: { command: '/usr/bin/node', args: ['/opt/gatehouse/cli.js'] } });
    expect(desktop.entry!.value).toEqual({
      command: '/usr/bin/node',
      args: ['/opt/gatehouse/cli.js', 'bridge', '--url', url, '--token-env', 'GH_TOKEN_WORK'],
      env: { GH_TOKEN_WORK: '<client token>' },
    });
  });

  it('refuses bad env var and entry names', () => {
    expect(() => generate('cursor', { url: URL, tokenEnvVar: 'A B' })).toThrow(/environment variable/);
    expect(() => generate('cursor', { url: URL, serverName: "x'; rm -rf ~" })).toThrow(/entry name/);
  });

  it('quotes shell words so nothing is expanded', () => {
    expect(shellQuote('plain-word_1.2')).toBe('plain-word_1.2');
    expect(shellQuote('$HOME')).toBe("'$HOME'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('')).toBe("''");
  });

  it('cloud clients get an explanation, not a snippet', () => {
    for (const id of ['claude-ai', 'chatgpt'] as const) {
      const config = generate(id, { url: URL });
      expect(config.snippet).toBe('');
      expect(config.location).toEqual({ kind: 'unreachable' });
      expect(config.notes[0]).toMatch(/cannot reach Gatehouse on 127\.0\.0\.1/);
    }
  });

  it('lists every client once, with install support', () => {
    const list = listClients();
    expect(list.map((c) => c.id)).toEqual([...CLIENT_IDS]);
    expect(list.filter((c) => c.installable).map((c) => c.id)).toContain('codex');
    expect(list.find((c) => c.id === 'claude-desktop')?.transport).toBe('stdio-bridge');
  });
});

describe('warnings', () => {
  const longTool = 'filesystem__read_multiple_files_with_metadata_x'; // 47 characters
  it('tool names over the prefixed limit', () => {
    expect(longTool).toHaveLength(47);
    expect(generate('claude-code', { url: URL, toolNames: [longTool] }).warnings).toEqual([]); // 14 + 47 = 61
    const w = generate('claude-code', { url: URL, serverName: 'gatehouse-work', toolNames: [longTool, 'short'] }).warnings;
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/1 tool name exceed Claude Code's 64-character limit once prefixed "mcp__gatehouse-work__"/);
    expect(generate('codex', { url: URL, serverName: 'gatehouse-work', toolNames: [longTool] }).warnings[0]).toMatch(/Codex shortens/);
    expect(generate('gemini-cli', { url: URL, serverName: 'gate_house', toolNames: [] }).warnings[0]).toMatch(/without "_"/);
  });
  it('tool counts over a client cap', () => {
    const tools = Array.from({ length: 129 }, (_, i) => `t${i}`);
    expect(generate('vscode', { url: URL, toolNames: tools }).warnings[0]).toMatch(/128 tools per chat request\S* \(128\); this endpoint offers 129 tools/);
    expect(generate('windsurf', { url: URL, toolNames: tools }).warnings[0]).toMatch(/Windsurf allows at most 100/);
    expect(generate('cursor', { url: URL, toolNames: tools.slice(0, 40) }).warnings).toEqual([]);
    expect(generate('cursor', { url: URL, toolNames: tools.slice(0, 41) }).warnings[0]).toMatch(/first 40 tools/);
  });
});
