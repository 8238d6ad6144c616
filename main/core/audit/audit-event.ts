/**
 * The audit event as the core records it. The stored shape lives in `shared/audit-event.ts`
 * (the UI reads the same); what callers hand to the store is defined here.
 */
import type { AuditEvent } from '../../../shared/audit-event.js';

export { AUDIT_KINDS, AUDIT_OUTCOMES } from '../../../shared/audit-event.js';
export type { AuditClient, AuditError, AuditEvent, AuditKind, AuditLifecycleEvent, AuditOutcome, AuditWay } from '../../../shared/audit-event.js';

/**
 * What callers hand to `AuditStore.record()`: an event without the fields the store fills in
 * (`id`, and `time` when absent). `args` and `preview` may be any JSON value; the store redacts
 * and truncates them before anything is written.
 */
export type AuditRecordInput = Omit<AuditEvent, 'id' | 'time' | 'preview'> & {
  id?: string;
  time?: number;
  /** A result (or its text); redacted, serialized and cut to `maxPreviewBytes`. */
  preview?: unknown;
};
