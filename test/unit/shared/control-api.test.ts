import { describe, expect, expectTypeOf, it } from 'vitest';
import type { AuditEvent as CoreAuditEvent } from '../../../main/core/audit/audit-event.js';
import type { ServerStats as CoreServerStats } from '../../../main/core/audit/audit-stats.js';
import type { ServerView as CoreServerView, ToolView as CoreToolView } from '../../../main/core/http/admin-api.js';
import type { LaunchDescription as CoreLaunch } from '../../../main/core/security/approvals.js';
import type { CreatedToken as CoreCreatedToken, TokenInfo as CoreTokenInfo } from '../../../main/core/security/token-store.js';
import {
  AUDIT_OUTCOMES,
  auditSearchParams,
  ControlApiError,
  createHttpControlApi,
  readServerSentEvents,
  type AuditEvent,
  type CreatedToken,
  type LaunchDescription,
  type ServerStats,
  type ServerView,
  type TokenInfo,
  type ToolView,
} from '../../../shared/control-api.js';
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
