import { describe, expect, it } from 'vitest';
import { parseServerEntry } from '../../../../../shared/config-schema.js';
import type { ServerConfig } from '../../../../../shared/server-config.js';
import { describeTarget } from '../../../../../main/core/security/describe-target.js';

function config(entry: Record<string, unknown>): ServerConfig {
  const parsed = parseServerEntry('s', entry);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.config;
}

describe('describeTarget', () => {
  it('shows a command line with credential flags, key-shaped values and known secrets masked', () => {
    const stdio = config({
      command: 'npx',
      args: ['-y', 'some-server', '--api-key', 'abc', '--token=xyz', '--dir', '/home/me/my docs', 'ghp_0123456789abcdefABCDEF', '--name', 'the-stored-secret-value'],
    });
    expect(describeTarget(stdio, ['the-stored-secret-value', 'abc'])).toBe(
      "npx -y some-server --api-key •••• --token=•••• --dir '/home/me/my docs' •••• --name ••••",
    );
    // Flags that only look alike keep their values; a flag followed by another flag takes nothing.
    expect(describeTarget(config({ command: 'node', args: ['--port', '80', '--auth', '--verbose'] }), [])).toBe('node --port 80 --auth --verbose');
  });

  it('shows a URL with its password and credential query values masked', () => {
    const remote = config({ url: 'https://me:pw123@api.example.com/mcp?apiKey=K123&team=blue&token=T', headers: { Authorization: 'Bearer x' } });
    expect(describeTarget(remote, [])).toBe('https://me:••••@api.example.com/mcp?apiKey=••••&team=blue&token=••••');
    expect(describeTarget(config({ url: 'http://127.0.0.1:3001/sse', type: 'sse' }), [])).toBe('http://127.0.0.1:3001/sse');
  });
});
