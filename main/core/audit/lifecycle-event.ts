/** Backend lifecycle events (start, exit, restart, error...) as entries of the audit timeline. */
import type { BackendLifecycleEvent } from '../backends/backend-state.js';
import type { AuditRecordInput } from './audit-event.js';

/** A backend lifecycle event as an audit timeline entry. */
export function lifecycleAuditEvent(event: BackendLifecycleEvent): AuditRecordInput {
  const base = { kind: 'lifecycle' as const, server: event.server, time: event.at, event: event.kind };
  switch (event.kind) {
    case 'start': {
      // Every stdio launch is on the timeline with what was run, where (never secret values).
      const what = event.command ? `${event.command}${event.cwd ? ` (in ${event.cwd})` : ''}` : undefined;
      const pid = event.pid !== undefined ? `pid ${event.pid}` : undefined;
      const preview = [pid, what, event.restarts > 0 ? `restart ${event.restarts}` : undefined].filter(Boolean).join(': ');
      return { ...base, ...(preview ? { preview } : {}) };
    }
    case 'exit':
      return { ...base, exitCode: event.code, signal: event.signal, preview: event.expected ? 'stopped by the gateway' : 'unexpected exit' };
    case 'recovered':
      return base;
    case 'restart':
      return { ...base, preview: `${event.reason}; attempt ${event.attempt} in ${event.delayMs} ms` };
    default:
      return { ...base, error: { message: event.reason } };
  }
}
