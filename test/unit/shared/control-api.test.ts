import { describe, expect, expectTypeOf, it } from 'vitest';
import type { AuditEvent as CoreAuditEvent } from '../../../main/core/audit/audit-event.js';
import type { ServerStats as CoreServerStats } from '../../../main/core/audit/audit-stats.js';
import type { ServerView as CoreServerView, ToolView as CoreToolView } from '../../../main/core/http/admin-api.js';
import type { LaunchDescription as CoreLaunch } from '../../../main/core/security/approvals.js';
import type { CreatedToken as CoreCreatedToken, TokenInfo as CoreTokenInfo } from '../../../main/core/security/token-store.js';
import type { Gateway } from '../../../main/core/gateway.js';
import type { defaultSecretStoreStatus, headlessSecretStoreStatus } from '../../../main/core/security/secret-store-status.js';
import {
  AUDIT_OUTCOMES,
  ControlApiError,
  type AuditEvent,
  type ControlApi,
  type CreatedToken,
  type GatewayInfo,
  type LaunchDescription,
  type SecretStoreStatus,
  type SignInStart,
  type ServerStats,
  type ServerView,
  type TokenInfo,
  type ToolView,
} from '../../../shared/control-api.js';
import { auditSearchParams, createHttpControlApi, readServerSentEvents } from '../../../shared/control-api-http.js';
import { AUDIT_OUTCOMES as CORE_OUTCOMES } from '../../../main/core/audit/audit-event.js';

describe('control API contract', () => {
  it('keeps its DTOs in step with what the core answers', () => {
    expectTypeOf<CoreServerView>().toExtend<ServerView>();
    expectTypeOf<CoreToolView>().toExtend<ToolView>();
    expectTypeOf<CoreAuditEvent>().toExtend<AuditEvent>();
    expectTypeOf<CoreServerStats>().toExtend<ServerStats>();
    expectTypeOf<CoreTokenInfo>().toExtend<TokenInfo>();
    expectTypeOf<CoreCreatedToken>().toExtend<CreatedToken>();
    expectTypeOf<CoreLaunch>().toExtend<LaunchDescription>();
    expectTypeOf<ReturnType<Gateway['info']>>().toExtend<GatewayInfo>();
    expectTypeOf<ReturnType<typeof headlessSecretStoreStatus>>().toExtend<SecretStoreStatus>();
    expectTypeOf<ReturnType<typeof defaultSecretStoreStatus>>().toExtend<SecretStoreStatus>();
    expectTypeOf<Awaited<ReturnType<ControlApi['signIn']>>>().toEqualTypeOf<SignInStart>();
    expect([...AUDIT_OUTCOMES]).toEqual([...CORE_OUTCOMES]);
  });

  it('puts only the filled-in filters in the query string', () => {
    expect(auditSearchParams({ server: ' github ', tool: '', outcome: 'ok' }, { limit: '10', cursor: undefined }).toString()).toBe(
      'server=github&outcome=ok&limit=10',
    );
  });

  it('sends the admin token and turns error answers into ControlApiError with details', async () => {
    const seen: Array<{ url: string; auth: string | null }> = [];
    const api = createHttpControlApi({
      baseUrl: 'http://127.0.0.1:7420/',
      token: 'gth_admin',
      fetch: async (input, init) => {
        seen.push({ url: String(input), auth: new Headers(init?.headers).get('authorization') });
        return new Response(JSON.stringify({ error: 'invalid server definition', details: ['server "x": bad'] }), { status: 400 });
      },
    });
    const error = await api.addServer('x', { command: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlApiError);
    expect(error).toMatchObject({ status: 400, message: 'invalid server definition', details: ['server "x": bad'] });
    expect(seen).toEqual([{ url: 'http://127.0.0.1:7420/admin/servers', auth: 'Bearer gth_admin' }]);
    expect(api.gatewayUrl()).toBe('http://127.0.0.1:7420');
  });

  it('asks GET /admin/info, and leaves the desktop-only calls out', async () => {
    const info: GatewayInfo = { version: '0.1.0', dataDir: '/data', desktop: false, secretStore: { kind: 'key-file', message: 'the key is in a file' } };
    const seen: string[] = [];
    const api = createHttpControlApi({
      baseUrl: 'http://127.0.0.1:7420',
      token: 't',
      fetch: async (input, init) => {
        seen.push(`${init?.method} ${String(input)}`);
        return Response.json(info);
      },
    });
    expect(await api.info()).toEqual(info);
    expect(seen).toEqual(['GET http://127.0.0.1:7420/admin/info']);
    expect(api.chooseEncryptedFileSecrets).toBeUndefined();
    expect(api.watchServers).toBeUndefined();
  });

  it('starts a sign-in and says whether the gateway opened the page', async () => {
    const answers = [
      { server: 'a b', url: 'https://as.example/authorize?x=1', opened: true },
      { server: 'a b', url: 'https://as.example/authorize?x=2', opened: false },
      { server: 'a b', url: null, opened: false, status: 'signed_in' },
      // A gateway from before the `opened` field.
      { server: 'a b', url: 'https://as.example/authorize?x=3' },
    ];
    const seen: string[] = [];
    const api = createHttpControlApi({
      baseUrl: 'http://127.0.0.1:7420',
      token: 't',
      fetch: async (input, init) => {
        seen.push(`${init?.method} ${String(input)}`);
        return Response.json(answers[seen.length - 1]);
      },
    });
    expect(await api.signIn('a b')).toEqual({ url: 'https://as.example/authorize?x=1', opened: true });
    expect(await api.signIn('a b')).toEqual({ url: 'https://as.example/authorize?x=2', opened: false });
    expect(await api.signIn('a b')).toEqual({ url: '', opened: false });
    expect(await api.signIn('a b')).toEqual({ url: 'https://as.example/authorize?x=3', opened: false });
    expect(seen[0]).toBe('POST http://127.0.0.1:7420/admin/servers/a%20b/auth/login');
  });

  it('sends tool calls, filtered figures and client installs to their endpoints', async () => {
    const seen: string[] = [];
    const api = createHttpControlApi({
      baseUrl: 'http://127.0.0.1:7420',
      token: 't',
      fetch: async (input, init) => {
        seen.push(`${init?.method} ${String(input)}${init?.body ? ` ${String(init.body)}` : ''}`);
        return Response.json(String(input).includes('/stats') ? { servers: [] } : {});
      },
    });
    await api.callTool({ server: 'everything', tool: 'get-sum', arguments: { a: 1 } });
    await api.stats();
    await api.stats({ since: '1h', server: 'a b' });
    await api.clientInstallStatus('cursor');
    await api.clientInstallStatus('cursor', 'a b');
    await api.previewClientChange('cursor', { action: 'remove' });
    await api.installClient('claude-desktop', { server: 'memory', force: true, fingerprint: 'f' });
    await api.removeClient('cursor', {});
    expect(seen).toEqual([
      'POST http://127.0.0.1:7420/admin/tools/call {"server":"everything","tool":"get-sum","arguments":{"a":1}}',
      'GET http://127.0.0.1:7420/admin/stats',
      'GET http://127.0.0.1:7420/admin/stats?since=1h&server=a+b',
      'GET http://127.0.0.1:7420/admin/clients/cursor/install',
      'GET http://127.0.0.1:7420/admin/clients/cursor/install?server=a%20b',
      'POST http://127.0.0.1:7420/admin/clients/cursor/preview {"action":"remove"}',
      'POST http://127.0.0.1:7420/admin/clients/claude-desktop/install {"server":"memory","force":true,"fingerprint":"f"}',
      'POST http://127.0.0.1:7420/admin/clients/cursor/remove {}',
    ]);
  });

  it('rejects a secret with the 503 and reason of a store that cannot hold secrets', async () => {
    const api = createHttpControlApi({
      baseUrl: 'http://127.0.0.1:7420',
      token: 't',
      fetch: async () => Response.json({ error: 'No secret can be stored: no keyring.' }, { status: 503 }),
    });
    await expect(api.setSecret('gh', 'x')).rejects.toMatchObject({ status: 503, message: 'No secret can be stored: no keyring.' });
  });

  it('parses server-sent events split across chunks, skipping comments', async () => {
    const chunks = [': hello\n\nevent: audit\nid: 1\nda', 'ta: {"a":1}\n\n: heartbeat\n\nevent: audit\ndata: {"b":', '2}\r\n\r\n'];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
        controller.close();
      },
    });
    const events: Array<[string, string]> = [];
    await readServerSentEvents(body, (name, data) => events.push([name, data]));
    expect(events).toEqual([
      ['audit', '{"a":1}'],
      ['audit', '{"b":2}'],
    ]);
  });
});
