import { describe, it, expect } from 'vitest';
import { toMcpServersConfig, toMcpServersEntry } from '../../../shared/config-export.js';
import { parseConfigText, parseMcpServersConfig, parseServerEntry } from '../../../shared/config-schema.js';
import { serverConfigSchema } from '../../../shared/stored-config-schema.js';
import type { ServerConfig } from '../../../shared/server-config.js';

function errorsOf(name: string, raw: unknown): string[] {
  const result = parseServerEntry(name, raw);
  return result.ok ? [] : result.errors;
}

function configOf(name: string, raw: unknown): ServerConfig {
  const result = parseServerEntry(name, raw);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config;
}

describe('parseMcpServersConfig', () => {
  it('parses a Claude Desktop style file with stdio and remote servers, keeping order', () => {
    const result = parseMcpServersConfig({
      globalShortcut: 'Ctrl+Space',
      mcpServers: {
        filesystem: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'] },
        remote: { url: 'https://example.com/mcp', headers: { Authorization: 'Bearer ${secret:tok}' } },
        legacy: { type: 'sse', url: 'http://localhost:3001/sse' },
      },
    });
    expect(result).toEqual({
      ok: true,
      servers: {
        filesystem: {
          transport: 'stdio',
          command: 'npx',
          args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'],
          env: {},
          isolation: 'shared',
          enabled: true,
        },
        remote: {
          transport: 'streamable-http',
          url: 'https://example.com/mcp',
          headers: { Authorization: 'Bearer ${secret:tok}' },
          enabled: true,
        },
        legacy: { transport: 'sse', url: 'http://localhost:3001/sse', headers: {}, enabled: true },
      },
    });
    expect(result.ok && Object.keys(result.servers)).toEqual(['filesystem', 'remote', 'legacy']);
  });

  it('accepts an empty mcpServers object', () => {
    expect(parseMcpServersConfig({ mcpServers: {} })).toEqual({ ok: true, servers: {} });
  });

  it('reports top-level problems', () => {
    const noServers = 'config: no servers found: expected "mcpServers" (Claude Desktop, Cursor) or "servers" (VS Code)';
    expect(parseMcpServersConfig({ other: {} })).toEqual({ ok: false, errors: [noServers] });
    expect(parseMcpServersConfig({ mcpServers: [] })).toEqual({ ok: false, errors: ['config: "mcpServers" must be an object'] });
    expect(parseMcpServersConfig({ servers: 'x' })).toEqual({ ok: false, errors: ['config: "servers" must be an object'] });
    expect(parseMcpServersConfig(null)).toEqual({ ok: false, errors: [noServers] });
    expect(parseMcpServersConfig([1])).toEqual({ ok: false, errors: [noServers] });
  });

  it('reads VS Code files too: "servers" (mcp.json) and "mcp.servers" (settings.json)', () => {
    const vscode = { inputs: [], servers: { memory: { type: 'stdio', command: 'node' }, gh: { type: 'http', url: 'https://a.example/mcp' } } };
    const result = parseMcpServersConfig(vscode);
    expect(result.ok && Object.keys(result.servers)).toEqual(['memory', 'gh']);
    expect(result.ok && result.servers['gh']?.transport).toBe('streamable-http');
    expect(parseMcpServersConfig({ mcp: { servers: { m: { command: 'node' } } } })).toMatchObject({ ok: true });
    // A file with both: mcpServers wins, as it always has.
    expect(parseMcpServersConfig({ mcpServers: { a: { command: 'node' } }, servers: { b: 1 } })).toMatchObject({ ok: true });
  });

  it('suggests "command" or "url" for a lone misspelling of either', () => {
    expect(errorsOf('s', { comand: 'npx', args: ['-y', 'x'] })).toEqual(['server "s": unknown field "comand" (did you mean "command"?)']);
    expect(errorsOf('r', { urll: 'https://a.example/mcp' })).toEqual(['server "r": unknown field "urll" (did you mean "url"?)']);
    expect(errorsOf('t', { type: 'sse', ulr: 'https://a.example/sse' })).toEqual(['server "t": unknown field "ulr" (did you mean "url"?)']);
    expect(errorsOf('e', { args: ['x'] })).toEqual(['server "e": needs either "command" (stdio) or "url" (remote)']);
  });

  it('collects one message per problem across all servers', () => {
    const result = parseMcpServersConfig({
      mcpServers: {
        good: { command: 'node' },
        oops: { type: 'sse' },
        x: { command: 'node', args: 'server.js' },
        'a b': { command: 'node' },
        y: { url: 'https://a.example/mcp', type: 'websocket' },
        z: {},
        w: { command: 'node', url: 'http://localhost/mcp' },
      },
    });
    expect(result).toEqual({
      ok: false,
      errors: [
        'server "oops": remote server needs "url"',
        'server "x": "args" must be an array of strings',
        'server "a b": name may contain only letters, digits, "-" and "_"',
        'server "y": "type" must be one of sse, streamable-http, http (got "websocket")',
        'server "z": needs either "command" (stdio) or "url" (remote)',
        'server "w": has both "command" and "url"',
      ],
    });
  });

  it('does not let a __proto__ key touch the result prototype', () => {
    const input: unknown = JSON.parse('{"mcpServers":{"__proto__":{"command":"node"},"ok":{"command":"node"}}}');
    const result = parseMcpServersConfig(input);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors).toEqual([
      'server "__proto__": name may not contain "__" (the namespace separator)',
    ]);
  });
});

describe('parseServerEntry: transports', () => {
  it('maps every type/transport spelling', () => {
    const url = 'http://127.0.0.1:9000/mcp';
    expect(configOf('a', { url, type: 'sse' }).transport).toBe('sse');
    expect(configOf('a', { url, transport: 'sse' }).transport).toBe('sse');
    expect(configOf('a', { url, type: 'streamable-http' }).transport).toBe('streamable-http');
    expect(configOf('a', { url, type: 'streamableHttp' }).transport).toBe('streamable-http');
    expect(configOf('a', { url, type: 'http' }).transport).toBe('streamable-http');
    expect(configOf('a', { url }).transport).toBe('streamable-http');
    expect(configOf('a', { command: 'node', type: 'stdio' }).transport).toBe('stdio');
    expect(configOf('a', { command: 'node', transport: 'stdio' }).transport).toBe('stdio');
  });

  it('rejects contradicting type, transport, command and url', () => {
    expect(errorsOf('a', { url: 'http://h/mcp', type: 'sse', transport: 'http' })).toEqual([
      'server "a": "type" and "transport" disagree ("sse" and "http")',
    ]);
    expect(errorsOf('a', { command: 'node', type: 'sse' })).toEqual([
      'server "a": "type" is "sse", which needs "url" instead of "command"',
    ]);
    expect(errorsOf('a', { url: 'http://h/mcp', type: 'stdio' })).toEqual([
      'server "a": "type" is "stdio", which needs "command" instead of "url"',
    ]);
    expect(errorsOf('a', { type: 'stdio' })).toEqual(['server "a": stdio server needs "command"']);
    expect(errorsOf('a', { command: 'node', type: 'ws' })).toEqual([
      'server "a": "type" must be "stdio" for a server with "command" (got "ws")',
    ]);
    expect(errorsOf('a', { url: 'http://h/mcp', type: 42 })).toEqual([
      'server "a": "type" must be one of sse, streamable-http, http (got 42)',
    ]);
  });

  it('keeps validating the other fields when "type" is invalid', () => {
    expect(errorsOf('a', { url: 'http://h/mcp', type: 'websocket', timeout: -1 })).toEqual([
      'server "a": "type" must be one of sse, streamable-http, http (got "websocket")',
      'server "a": "timeout" must be a positive integer (milliseconds)',
    ]);
  });

  it('rejects entries that are not objects', () => {
    expect(errorsOf('a', 'npx foo')).toEqual(['server "a": must be an object']);
    expect(errorsOf('a', null)).toEqual(['server "a": must be an object']);
  });
});

describe('parseServerEntry: stdio fields', () => {
  it('normalizes a full stdio entry', () => {
    expect(
      configOf('mem', {
        command: 'npx',
        args: ['-y', 'server-memory'],
        env: { MEMORY_FILE: '/tmp/m.json' },
        cwd: '/srv',
        isolation: 'per-client',
        enabled: false,
        toolFilter: { allow: ['read_*'], block: ['delete_*'] },
      }),
    ).toEqual({
      transport: 'stdio',
      command: 'npx',
      args: ['-y', 'server-memory'],
      env: { MEMORY_FILE: '/tmp/m.json' },
      cwd: '/srv',
      isolation: 'per-client',
      enabled: false,
      toolFilter: { allow: ['read_*'], block: ['delete_*'] },
    });
  });

  it('reports each bad field once', () => {
    expect(
      errorsOf('s', {
        command: '  ',
        args: [1, 2],
        env: { PORT: 8080, HOST: 'x', DEBUG: true },
        cwd: '',
        isolation: 'none',
      }),
    ).toEqual([
      'server "s": "command" must be a non-empty string',
      'server "s": "args" must be an array of strings',
      'server "s": "env" values must be strings (check "PORT", "DEBUG")',
      'server "s": "cwd" must be a non-empty string',
      'server "s": "isolation" must be "shared" or "per-client" (got "none")',
    ]);
    expect(errorsOf('s', { command: 'node', env: ['A=1'] })).toEqual(['server "s": "env" must be an object of strings']);
    expect(errorsOf('s', { command: 7 })).toEqual(['server "s": "command" must be a non-empty string']);
  });

  it('rejects remote-only fields and typos, suggesting the intended key', () => {
    expect(errorsOf('s', { command: 'node', headers: {}, argz: [], Env: {}, frobnicate: 1 })).toEqual([
      'server "s": "headers" applies only to remote servers',
      'server "s": unknown field "argz" (did you mean "args"?)',
      'server "s": unknown field "Env" (did you mean "env"?)',
      'server "s": unknown field "frobnicate"',
    ]);
  });

  it('ignores the harmless keys other clients write', () => {
    expect(
      configOf('s', {
        command: 'node',
        description: 'a server',
        autoApprove: ['x'],
        alwaysAllow: ['y'],
        timeout: 60,
        type: 'stdio',
      }),
    ).toEqual({ transport: 'stdio', command: 'node', args: [], env: {}, isolation: 'shared', enabled: true });
  });
});

describe('parseServerEntry: remote fields', () => {
  it('normalizes a full remote entry', () => {
    expect(
      configOf('gh', {
        type: 'http',
        url: 'https://api.example.com/mcp',
        headers: { Authorization: 'Bearer ${secret:github-token}' },
        timeout: 30000,
        sseReadTimeout: 300000,
      }),
    ).toEqual({
      transport: 'streamable-http',
      url: 'https://api.example.com/mcp',
      headers: { Authorization: 'Bearer ${secret:github-token}' },
      timeout: 30000,
      sseReadTimeout: 300000,
      enabled: true,
    });
  });

  it('validates url, headers and timeouts', () => {
    expect(
      errorsOf('r', {
        url: 'ftp://example.com',
        headers: { 'X Bad': 'v', Good: 'v' },
        timeout: 1.5,
        sseReadTimeout: 0,
      }),
    ).toEqual([
      'server "r": "url" must be an http:// or https:// URL',
      'server "r": "headers" has invalid header names ("X Bad")',
      'server "r": "timeout" must be a positive integer (milliseconds)',
      'server "r": "sseReadTimeout" must be a positive integer (milliseconds)',
    ]);
    expect(errorsOf('r', { url: 'not a url' })).toEqual(['server "r": "url" must be an http:// or https:// URL']);
    expect(errorsOf('r', { url: 'http://h/mcp', headers: { A: 1 } })).toEqual([
      'server "r": "headers" values must be strings (check "A")',
    ]);
  });

  it('rejects stdio-only fields on a remote entry', () => {
    expect(errorsOf('r', { url: 'http://h/mcp', args: [], isolation: 'per-client' })).toEqual([
      'server "r": "args" applies only to stdio servers',
      'server "r": "isolation" applies only to stdio servers',
    ]);
  });
});

describe('parseServerEntry: Gatehouse and compatibility fields', () => {
  it('maps disabled to enabled and refuses a contradiction', () => {
    expect(configOf('a', { command: 'node', disabled: true }).enabled).toBe(false);
    expect(configOf('a', { command: 'node', disabled: false }).enabled).toBe(true);
    expect(configOf('a', { command: 'node', enabled: false, disabled: true }).enabled).toBe(false);
    expect(errorsOf('a', { command: 'node', enabled: true, disabled: true })).toEqual([
      'server "a": "enabled" and "disabled" contradict each other',
    ]);
    expect(errorsOf('a', { command: 'node', enabled: 'no' })).toEqual(['server "a": "enabled" must be true or false']);
  });

  it('validates toolFilter', () => {
    expect(errorsOf('a', { command: 'node', toolFilter: ['x'] })).toEqual([
      'server "a": "toolFilter" must be an object with "allow" and/or "block"',
    ]);
    expect(errorsOf('a', { command: 'node', toolFilter: { alow: ['x'], block: [''] } })).toEqual([
      'server "a": "toolFilter" has unknown field "alow" (did you mean "allow"?)',
      'server "a": "toolFilter.block" must be an array of non-empty strings',
    ]);
    expect(configOf('a', { command: 'node', toolFilter: {} }).toolFilter).toBeUndefined();
  });

  it('carries disabledTools over as blocked tools', () => {
    expect(
      configOf('a', { command: 'node', toolFilter: { block: ['x'] }, disabledTools: ['y', 'x'] }).toolFilter,
    ).toEqual({ block: ['x', 'y'] });
  });

  it('reports an invalid name together with the entry problems', () => {
    expect(errorsOf('bad__name', { command: 'node', args: 'x' })).toEqual([
      'server "bad__name": name may not contain "__" (the namespace separator)',
      'server "bad__name": "args" must be an array of strings',
    ]);
  });
});

describe('parseConfigText', () => {
  it('reports JSON syntax errors with the source, line and column', () => {
    const result = parseConfigText('{ "mcpServers": ', 'claude_desktop_config.json');
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.errors[0]).toMatch(/^claude_desktop_config\.json: invalid JSON at line 1, column 17: /);
    // A trailing comma on line 3: the place is where JSON.parse stopped (the closing brace).
    const trailing = parseConfigText('{\n  "mcpServers": {\n    "a": { "command": "node", }\n  }\n}', 'mcp.json');
    expect(trailing).toEqual({ ok: false, errors: [expect.stringMatching(/^mcp\.json: invalid JSON at line 3, column 31: \S/)] });
    expect(trailing.ok ? '' : trailing.errors[0]).not.toContain('position');
  });

  it('counts columns after a byte-order mark and CRLF line ends as an editor does', () => {
    const result = parseConfigText('\uFEFF{\r\n  "mcpServers": x\r\n}', 'win.json');
    expect(result.ok ? '' : result.errors[0]).toMatch(/^win\.json: invalid JSON at line 2, column 17: /);
  });

  it('tolerates a byte-order mark and delegates', () => {
    expect(parseConfigText('\uFEFF{"mcpServers":{"a":{"command":"node"}}}', 'x.json')).toEqual({
      ok: true,
      servers: { a: { transport: 'stdio', command: 'node', args: [], env: {}, isolation: 'shared', enabled: true } },
    });
    expect(parseConfigText('[]', 'x.json')).toEqual({
      ok: false,
      errors: ['config: no servers found: expected "mcpServers" (Claude Desktop, Cursor) or "servers" (VS Code)'],
    });
  });
});

describe('toMcpServersEntry', () => {
  const samples: Record<string, ServerConfig> = {
    minimal: { transport: 'stdio', command: 'node', args: [], env: {}, isolation: 'shared', enabled: true },
    full: {
      transport: 'stdio',
      command: 'npx',
      args: ['-y', 'pkg'],
      env: { A: '1' },
      cwd: '/w',
      isolation: 'per-client',
      enabled: false,
      toolFilter: { allow: ['a*'], block: ['b'] },
    },
    http: { transport: 'streamable-http', url: 'http://localhost:1/mcp', headers: {}, enabled: true },
    sse: {
      transport: 'sse',
      url: 'https://h.example/sse',
      headers: { 'X-Key': 'v' },
      timeout: 1000,
      sseReadTimeout: 2000,
      enabled: true,
      toolFilter: { block: ['x'] },
    },
  };

  it('omits defaults and always names the remote type', () => {
    expect(toMcpServersEntry(samples['minimal'] as ServerConfig)).toEqual({ command: 'node' });
    expect(toMcpServersEntry(samples['http'] as ServerConfig)).toEqual({ type: 'streamable-http', url: 'http://localhost:1/mcp' });
    expect(toMcpServersEntry(samples['sse'] as ServerConfig)).toEqual({
      type: 'sse',
      url: 'https://h.example/sse',
      headers: { 'X-Key': 'v' },
      timeout: 1000,
      sseReadTimeout: 2000,
      toolFilter: { block: ['x'] },
    });
  });

  it('round-trips through parseServerEntry', () => {
    for (const [name, config] of Object.entries(samples)) {
      expect(configOf(name, toMcpServersEntry(config))).toEqual(config);
    }
    expect(parseMcpServersConfig(toMcpServersConfig(samples))).toEqual({ ok: true, servers: samples });
  });

  it('returns copies, not the stored arrays', () => {
    const config = samples['full'] as ServerConfig & { transport: 'stdio' };
    const entry = toMcpServersEntry(config);
    (entry['args'] as string[]).push('mutated');
    expect(config.args).toEqual(['-y', 'pkg']);
  });
});

describe('serverConfigSchema', () => {
  it('accepts normalized configs and rejects raw entries', () => {
    expect(serverConfigSchema.safeParse({ transport: 'stdio', command: 'n', args: [], env: {}, isolation: 'shared', enabled: true }).success).toBe(true);
    expect(serverConfigSchema.safeParse({ command: 'n' }).success).toBe(false);
    expect(serverConfigSchema.safeParse({ transport: 'sse', url: 'file:///x', headers: {}, enabled: true }).success).toBe(false);
  });
});

describe('supervision fields', () => {
  it('accepts restart, maxRestarts, pingIntervalMs everywhere and startup, idleTimeoutMs on stdio', () => {
    expect(configOf('s', { command: 'x', restart: 'never', maxRestarts: 0, pingIntervalMs: 0, startup: 'lazy', idleTimeoutMs: 5000 })).toMatchObject({
      restart: 'never',
      maxRestarts: 0,
      pingIntervalMs: 0,
      startup: 'lazy',
      idleTimeoutMs: 5000,
    });
    expect(configOf('r', { url: 'http://127.0.0.1:1/mcp', restart: 'on-failure', maxRestarts: 3, pingIntervalMs: 1000 })).toMatchObject({
      restart: 'on-failure',
      maxRestarts: 3,
      pingIntervalMs: 1000,
    });
  });

  it('leaves them out when absent, so the defaults apply', () => {
    const config = configOf('s', { command: 'x' });
    for (const key of ['restart', 'maxRestarts', 'pingIntervalMs', 'startup', 'idleTimeoutMs']) expect(config).not.toHaveProperty(key);
  });

  it('reports bad values, one message each', () => {
    expect(errorsOf('s', { command: 'x', restart: 'always', maxRestarts: -1, pingIntervalMs: 1.5, startup: 'later', idleTimeoutMs: 0 })).toEqual([
      'server "s": "restart" must be "on-failure" or "never" (got "always")',
      'server "s": "maxRestarts" must be a non-negative integer',
      'server "s": "pingIntervalMs" must be a non-negative integer (milliseconds; 0 turns pings off)',
      'server "s": "startup" must be "eager" or "lazy" (got "later")',
      'server "s": "idleTimeoutMs" must be a positive integer (milliseconds)',
    ]);
    expect(errorsOf('r', { url: 'http://127.0.0.1:1/mcp', startup: 'lazy' })).toEqual(['server "r": "startup" applies only to stdio servers']);
  });

  it('the stored schema keeps them', () => {
    const stored = { transport: 'stdio', command: 'x', args: [], env: {}, isolation: 'shared', enabled: true, restart: 'never', startup: 'lazy', idleTimeoutMs: 10 };
    expect(serverConfigSchema.parse(stored)).toEqual(stored);
  });
});
