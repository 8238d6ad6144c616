import { expect } from 'vitest';
import type { AuditEvent } from '../../main/core/audit/audit-event.js';
import type { AuditStore } from '../../main/core/audit/audit-store.js';

/**
 * The audit events (newest first) that `match`, once at least `count` of them are on the
 * timeline (events are recorded as responses go out, so they can trail the client's answer).
 */
export async function auditEvents(audit: AuditStore, match: (event: AuditEvent) => boolean, count = 1): Promise<AuditEvent[]> {
  let found: AuditEvent[] = [];
  await expect
    .poll(
      async () => {
        found = (await audit.query({ limit: 1000 })).items.filter(match);
        return found.length;
      },
      { timeout: 5_000 },
    )
    .toBeGreaterThanOrEqual(count);
  return found;
}

/** The newest request event of `method` (and `target`, when given) on `server`. */
export async function requestEvent(audit: AuditStore, server: string, method: string, target?: string): Promise<AuditEvent> {
  const [event] = await auditEvents(
    audit,
    (e) => e.kind === 'request' && e.server === server && e.method === method && (target === undefined || e.target === target),
  );
  return event!;
}
