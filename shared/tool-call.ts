/**
 * Trying a tool from the control UI (`POST /admin/tools/call`): the request, its validation and
 * the answer. The gateway runs the call through the aggregate's own access path (the server's
 * tool filter, the audit tap) as a client named {@link UI_CLIENT_NAME}, so the timeline shows
 * that it came from the UI.
 *
 * Runs in every process: no `node:*`, no React.
 */
import { z } from 'zod';
import type { AuditEvent } from './audit-event.js';

/** The `clientInfo.name` of the UI's calls, as the audit shows it. */
export const UI_CLIENT_NAME = 'gatehouse-control-ui';

/** The longest a tried call may run before the gateway gives up on it (ms). */
export const MAX_TOOL_CALL_TIMEOUT_MS = 10 * 60_000;

/** The body of `POST /admin/tools/call`; unknown fields are refused, each problem names its field. */
export const toolCallRequestSchema = z.strictObject({
  /** The backend, as the registry names it. */
  server: z.string().min(1, 'name the server'),
  /** The backend's own tool name (not the namespaced one). */
  tool: z.string().min(1, 'name the tool'),
  arguments: z.record(z.string(), z.unknown()).optional(),
  timeoutMs: z.number().int().min(1, 'must be at least 1 ms').max(MAX_TOOL_CALL_TIMEOUT_MS, `must be at most ${MAX_TOOL_CALL_TIMEOUT_MS} ms`).optional(),
});

/** What the UI asks for. */
export type ToolCallRequest = z.infer<typeof toolCallRequestSchema>;

/** One content block of a tool result, as MCP defines them (only the fields the UI draws). */
export interface ToolContentBlock {
  type: string;
  text?: string;
  /** Base64, for `image` and `audio`. */
  data?: string;
  mimeType?: string;
  /** `resource` blocks: the embedded resource; `resource_link`: its URI and name. */
  resource?: { uri?: string; mimeType?: string; text?: string; blob?: string };
  uri?: string;
  name?: string;
  [key: string]: unknown;
}

/** A `tools/call` result as the backend (or the gateway) answered it. */
export interface ToolCallResult {
  content: ToolContentBlock[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

/**
 * The answer of `POST /admin/tools/call`: the tool's result, or the JSON-RPC error the call got
 * (unknown tool, a filtered tool, a timeout, a backend failure), and the audit entry it left
 * (absent when the gateway has no audit).
 */
export type ToolCallAnswer =
  | { ok: true; result: ToolCallResult; durationMs: number; audit?: AuditEvent }
  | { ok: false; error: { code: number; message: string }; durationMs: number; audit?: AuditEvent };
