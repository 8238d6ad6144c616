/**
 * Tool calls made by an admin from the control UI ("Try it"). They take the path a client's
 * call takes through the aggregate endpoint: an {@link AggregateSession} over the aggregate's
 * view (so the server's tool filter applies and names are the exposed ones), with the same
 * audit tap, as a client named {@link UI_CLIENT_NAME} under the admin token's name. Only the
 * HTTP hop is left out: the UI's own session talks to it in memory.
 *
 * One session per admin (token and browser), kept while it is used and closed after
 * {@link IDLE_MS} of silence, so trying a tool ten times records ten calls and one `initialize`,
 * as a real client would.
 */
import { randomUUID } from 'node:crypto';
import { Client, InMemoryTransport, ProtocolError } from '@modelcontextprotocol/client';
import type { Implementation } from '@modelcontextprotocol/server';
import { MAX_TOOL_CALL_TIMEOUT_MS, UI_CLIENT_NAME, type ToolCallAnswer, type ToolCallRequest, type ToolCallResult } from '../../../shared/tool-call.js';
import type { AuditClient, AuditEvent, AuditRecordInput } from '../audit/audit-event.js';
import { errorMessage, type Logger } from '../base/logger.js';
import { AggregateSession } from './aggregate-session.js';
import { tapTransport, viewRoute } from './audit-tap.js';
import type { RouteView } from './route-view.js';

/** A UI session unused this long is closed. */
const IDLE_MS = 5 * 60_000;
/** More admins than this at once: the least recently used session goes. */
const MAX_SESSIONS = 8;

/** What {@link AdminToolCaller} needs from the gateway. */
export interface AdminToolCallerDeps {
  /** The aggregate's view: running backends, exposed names, the servers' tool filters. */
  view: RouteView;
  serverInfo: Implementation;
  version: string;
  logger: Logger;
  /** Records an audit event and answers it as stored (`undefined` when the audit is off). */
  record(event: AuditRecordInput): AuditEvent | undefined;
}

/** Who is trying: the admin token's name and where the request came from. */
export type AdminCaller = Pick<AuditClient, 'tokenName' | 'ip' | 'userAgent'>;

interface UiSession {
  key: string;
  client: Client;
  aggregate: AggregateSession;
  /** The audit event of the last `tools/call` answered on this session. */
  lastCall?: AuditEvent;
  /** Calls on one session run one at a time, so {@link lastCall} is the one just made. */
  queue: Promise<unknown>;
  idle?: NodeJS.Timeout;
}

/** Runs the UI's tool calls; {@link close} ends every session. */
export class AdminToolCaller {
  readonly #sessions = new Map<string, Promise<UiSession>>();
  #closed = false;

  constructor(private readonly deps: AdminToolCallerDeps) {}

  /**
   * Calls `request.tool` of `request.server` as `caller`. The server must be running (the caller
   * checks). Resolves with the result or the call's JSON-RPC error, never rejects for the call's
   * own failure.
   */
  async call(caller: AdminCaller, request: ToolCallRequest): Promise<ToolCallAnswer> {
    const exposed = this.deps.view.exposedTool(request.server, request.tool);
    const session = await this.#session(caller);
    const run = async (): Promise<ToolCallAnswer> => {
      session.lastCall = undefined;
      const started = Date.now();
      try {
        const result = (await session.client.callTool(
          { name: exposed, arguments: request.arguments ?? {} },
          { timeout: request.timeoutMs ?? MAX_TOOL_CALL_TIMEOUT_MS },
        )) as ToolCallResult;
        return { ok: true, result: { ...result, content: result.content ?? [] }, durationMs: Date.now() - started, ...audit(session) };
      } catch (error) {
        const code = error instanceof ProtocolError ? error.code : -32603;
        return { ok: false, error: { code, message: errorMessage(error) }, durationMs: Date.now() - started, ...audit(session) };
      }
    };
    const answer = session.queue.then(run, run);
    session.queue = answer.catch(() => undefined);
    return answer;
  }

  /** Ends every UI session (the gateway is stopping). */
  async close(): Promise<void> {
    this.#closed = true;
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.allSettled(sessions.map(async (pending) => this.#end(await pending)));
  }

  #session(caller: AdminCaller): Promise<UiSession> {
    if (this.#closed) return Promise.reject(new Error('the gateway is stopping'));
    const key = JSON.stringify([caller.tokenName, caller.ip, caller.userAgent]);
    let pending = this.#sessions.get(key);
    if (pending) {
      // Most recently used last, for the eviction below.
      this.#sessions.delete(key);
      this.#sessions.set(key, pending);
    } else {
      pending = this.#open(key, caller);
      this.#sessions.set(key, pending);
      pending.catch(() => this.#sessions.get(key) === pending && this.#sessions.delete(key));
      if (this.#sessions.size > MAX_SESSIONS) {
        const [oldestKey, oldest] = this.#sessions.entries().next().value!;
        this.#sessions.delete(oldestKey);
        void oldest.then((s) => this.#end(s)).catch(() => {});
      }
    }
    void pending.then((s) => this.#touch(s)).catch(() => {});
    return pending;
  }

  async #open(key: string, caller: AdminCaller): Promise<UiSession> {
    const { view, serverInfo, logger } = this.deps;
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const aggregate = new AggregateSession({ view, serverInfo, logger });
    await aggregate.connect(serverSide);
    const sessionId = `ui-${randomUUID()}`;
    const client: AuditClient = { ...caller };
    const session: UiSession = { key, client: new Client({ name: UI_CLIENT_NAME, version: this.deps.version }), aggregate, queue: Promise.resolve() };
    tapTransport(serverSide, { way: 'aggregate', client, sessionId: () => sessionId, route: viewRoute(view) }, (event) => {
      const stored = this.deps.record(event);
      if (event.kind === 'request' && event.method === 'tools/call') session.lastCall = stored;
    });
    aggregate.onclose = () => {
      if (this.#sessions.has(key)) void this.#sessions.get(key)!.then((s) => s === session && this.#sessions.delete(key));
    };
    await session.client.connect(clientSide);
    return session;
  }

  #touch(session: UiSession): void {
    clearTimeout(session.idle);
    session.idle = setTimeout(() => {
      this.#sessions.delete(session.key);
      void this.#end(session);
    }, IDLE_MS);
    session.idle.unref();
  }

  async #end(session: UiSession): Promise<void> {
    clearTimeout(session.idle);
    await Promise.allSettled([session.client.close(), session.aggregate.close()]);
  }
}

function audit(session: UiSession): { audit?: AuditEvent } {
  return session.lastCall ? { audit: session.lastCall } : {};
}
