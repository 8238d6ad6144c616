import { describe, expect, it } from 'vitest';
import { parseServerEntry } from '../../../../../shared/config-schema.js';
import { toMcpServersEntry } from '../../../../../shared/config-export.js';
import { usesOAuth } from '../../../../../main/core/oauth/broker.js';
import { oauthSecretName, oauthTokenValues } from '../../../../../main/core/oauth/oauth-vault.js';
import { checkSecretName } from '../../../../../main/core/security/secret-store.js';
import type { RemoteServerConfig } from '../../../../../shared/server-config.js';

describe('OAuth vault', () => {
  it('names secrets the store accepts', () => {
    expect(oauthSecretName('my-server_1', 'tokens')).toBe('oauth.my-server_1.tokens');
    expect(checkSecretName(oauthSecretName('my-server_1', 'verifier'))).toBeUndefined();
  });

  it('hands the token strings inside stored JSON to the redactor, and nothing else', () => {
    const stored = JSON.stringify({ access_token: 'at-123456', refresh_token: 'rt-654321', token_type: 'Bearer', obtained_at: 1 });
    expect(oauthTokenValues([stored, 'plain-secret', '{"not":"tokens"}', '{broken'])).toEqual(['at-123456', 'rt-654321']);
  });
});

describe('oauth in server entries', () => {
  const remote = (extra: Record<string, unknown>): RemoteServerConfig => {
    const parsed = parseServerEntry('linear', { type: 'http', url: 'https://mcp.example.com/mcp', ...extra });
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    return parsed.config as RemoteServerConfig;
  };

  it('parses true, false and settings, and exports them back', () => {
    expect(remote({ oauth: true }).oauth).toEqual({});
    expect(remote({ oauth: false }).oauth).toBe(false);
    const config = remote({ oauth: { clientId: 'abc', scopes: ['read', 'write'] } });
    expect(config.oauth).toEqual({ clientId: 'abc', scopes: ['read', 'write'] });
    expect(toMcpServersEntry(config)).toMatchObject({ oauth: { clientId: 'abc', scopes: ['read', 'write'] } });
    expect(toMcpServersEntry(remote({ oauth: true }))).toMatchObject({ oauth: true });
  });

  it('refuses malformed settings', () => {
    const parsed = parseServerEntry('x', { type: 'http', url: 'https://a.example/mcp', oauth: { clientSecret: 'plain' } });
    expect(parsed.ok).toBe(false);
    expect(parseServerEntry('x', { type: 'http', url: 'https://a.example/mcp', oauth: { clientMetadataUrl: 'http://insecure/doc' } }).ok).toBe(false);
  });

  it('uses OAuth unless turned off or an Authorization header is configured', () => {
    expect(usesOAuth(remote({}))).toBe(true);
    expect(usesOAuth(remote({ oauth: false }))).toBe(false);
    expect(usesOAuth(remote({ headers: { Authorization: 'Bearer ${secret:x}' } }))).toBe(false);
  });
});
