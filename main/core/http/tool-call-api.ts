/**
 * `POST /admin/tools/call` `{ server, tool, arguments?, timeoutMs? }`: the control UI's "Try it".
 * The call goes through the aggregate's access path as the admin (see `admin-tool-call.ts`) and
 * the answer carries the result or the call's error, and its audit entry. Refusals before any
 * call: 400 for a bad body (each problem names its field), 404 for an unknown server or tool,
 * 409 for a server that is not running. The router has checked the admin token first.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toolCallRequestSchema } from '../../../shared/tool-call.js';
import { closestKey } from '../../../shared/spelling.js';
import type { AdminCaller, AdminToolCaller } from '../routing/admin-tool-call.js';
import { json, problem, readJson } from './admin-api.js';

/** A server as the call needs to know it. */
export interface CallableServer {
  status: string;
  reason?: string;
  /** Running (or asleep and started on use): a call can reach it now. */
  reachable: boolean;
  /** Its tools (own names), once listed. */
  tools: string[];
}

/** What {@link handleToolCallRequest} needs from the gateway. */
export interface ToolCallApiDeps {
  caller: Pick<AdminToolCaller, 'call'>;
  server(name: string): CallableServer | undefined;
  serverNames(): string[];
  /** Who is calling, for the audit: the admin token's name, the request's address and user agent. */
  who(req: IncomingMessage): AdminCaller;
  maxBodyBytes: number;
}

/** Handles `POST /admin/tools/call`; resolves `false` (writing nothing) for other paths. */
export async function handleToolCallRequest(req: IncomingMessage, res: ServerResponse, url: URL, deps: Readonly<ToolCallApiDeps>): Promise<boolean> {
  if (url.pathname.replace(/\/+$/, '') !== '/admin/tools/call') return false;
  if (req.method !== 'POST') {
    req.resume();
    res.setHeader('allow', 'POST');
    problem(res, 405, `${req.method ?? 'GET'} is not allowed on /admin/tools/call`);
    return true;
  }
  const body = await readJson(req, res, deps.maxBodyBytes);
  if (body === undefined) return true;
  const parsed = toolCallRequestSchema.safeParse(body);
  if (!parsed.success) {
    problem(res, 400, 'invalid tool call', parsed.error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)));
    return true;
  }
  const request = parsed.data;
  const server = deps.server(request.server);
  if (!server) {
    problem(res, 404, `unknown server "${request.server}"${hint(request.server, deps.serverNames())}`);
    return true;
  }
  if (!server.reachable) {
    problem(res, 409, `server "${request.server}" is ${server.status}${server.reason ? `: ${server.reason}` : ''}; start it first`);
    return true;
  }
  if (!server.tools.includes(request.tool)) {
    problem(res, 404, `server "${request.server}" has no tool "${request.tool}"${hint(request.tool, server.tools)}`);
    return true;
  }
  json(res, 200, await deps.caller.call(deps.who(req), request));
  return true;
}

function hint(name: string, candidates: readonly string[]): string {
  const close = closestKey(name, candidates);
  return close ? ` (did you mean "${close}"?)` : '';
}
