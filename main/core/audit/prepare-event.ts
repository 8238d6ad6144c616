/**
 * What the audit stores of a recorded message: every text field redacted, the bulky ones (args,
 * preview, error message) cut to their limits, in the field order the file shows.
 */
import { randomUUID } from 'node:crypto';
import type { AuditClient, AuditEvent, AuditRecordInput } from './audit-event.js';
import { truncateText, truncateValue, type Redactor } from './redact.js';

const CLIENT_KEYS = ['tokenName', 'ip', 'userAgent', 'name', 'version'] as const;

export interface PrepareLimits {
  now: () => number;
  maxArgsBytes: number;
  maxPreviewBytes: number;
}

/** The event to store for `input`, redacted with `r` (the redactor's current state). */
export function prepareEvent(input: AuditRecordInput, r: Pick<Redactor, 'redactValue' | 'redactText'>, limits: PrepareLimits): AuditEvent {
  const text = (value: string | undefined): string | undefined => (value === undefined ? undefined : r.redactText(value));
  // Field order here is the order in the file: the index fields first, for people reading it.
  const event: AuditEvent = { time: input.time ?? limits.now(), id: input.id ?? randomUUID(), kind: input.kind };
  const assign = <K extends keyof AuditEvent>(key: K, value: AuditEvent[K] | undefined): void => {
    if (value !== undefined) event[key] = value;
  };
  assign('sessionId', text(input.sessionId));
  if (input.client) {
    const client: AuditClient = {};
    for (const key of CLIENT_KEYS) {
      const value = input.client[key];
      if (typeof value === 'string') client[key] = r.redactText(value);
    }
    if (Object.keys(client).length > 0) event.client = client;
  }
  assign('way', input.way);
  assign('server', text(input.server));
  assign('method', text(input.method));
  assign('target', text(input.target));
  assign('outcome', input.outcome);
  if (input.error) {
    event.error = { message: truncateText(r.redactText(String(input.error.message)), limits.maxArgsBytes) };
    if (input.error.code !== undefined) event.error.code = input.error.code;
  }
  assign('durationMs', input.durationMs);
  assign('bytesIn', input.bytesIn);
  assign('bytesOut', input.bytesOut);
  assign('httpStatus', input.httpStatus);
  assign('event', input.event);
  assign('exitCode', input.exitCode);
  assign('signal', input.signal);
  // The bulky fields go last: opening the store parses each line only up to them.
  if (input.args !== undefined) event.args = truncateValue(r.redactValue(input.args), limits.maxArgsBytes);
  if (input.preview !== undefined) {
    const preview = typeof input.preview === 'string' ? r.redactText(input.preview) : JSON.stringify(r.redactValue(input.preview));
    if (preview !== undefined) event.preview = truncateText(preview, limits.maxPreviewBytes);
  }
  return event;
}
