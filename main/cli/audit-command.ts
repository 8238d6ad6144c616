/**
 * `gatehouse audit export | tail | verify`: reads the audit segments in the data directory
 * directly (read-only), so it works whether or not the gateway is running.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { errorMessage } from '../core/base/logger.js';
import type { AuditEvent } from '../core/audit/audit-event.js';
import { EXPORT_FORMATS, type ExportFormat } from '../core/audit/audit-export.js';
import { followAudit } from '../core/audit/audit-follow.js';
import { eventMatches, parseAuditQuery, type RawParams } from '../core/audit/audit-query.js';
import { auditDir, AuditStore } from '../core/audit/audit-store.js';
import { verifyAuditDir } from '../core/audit/audit-verify.js';
import { parseCommand } from './parse-command.js';

/** Streams and environment of the command; tests pass their own. */
export interface AuditCommandIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Ends `tail` (the CLI leaves it to Ctrl-C). */
  signal?: AbortSignal;
  now?: () => number;
}

export const AUDIT_USAGE = `Usage:
  gatehouse audit export [filters] [--format jsonl|csv] [--output FILE]
  gatehouse audit tail [filters] [--json] [--all]
  gatehouse audit verify

Filters (repeatable or comma-separated; names accept * and ? wildcards):
  --since T --until T    24h, 30m, 7d, 2026-11-21, 2026-11-21T10:00:00Z or epoch ms
  --server NAME  --client NAME  --method NAME  --tool NAME  --kind KIND
  --outcome ok|tool_error|rpc_error|denied|filtered|timeout|backend_unreachable|backend_http_error
  --text TEXT            case-insensitive text anywhere in the event

  export   writes the matching events, oldest first, to stdout (or --output FILE)
  tail     prints new events as they are recorded (--all: the stored ones first; --json: JSON lines)
  verify   checks the hash chain of every segment; exit 1 and the place of the first break if broken

Options: --data-dir DIR (default: the gateway's data directory)`;

const FILTER_FLAGS = ['since', 'until', 'server', 'client', 'method', 'tool', 'outcome', 'kind', 'text'] as const;

/** Runs `gatehouse audit ...` (`argv` is what follows `audit`); resolves to the exit code. */
export async function runAuditCommand(argv: readonly string[], io: AuditCommandIo, dataDir: string): Promise<number> {
  const parsed = parseCommand(
    'audit',
    AUDIT_USAGE,
    argv,
    {
      since: { type: 'string' },
      until: { type: 'string' },
      server: { type: 'string', multiple: true },
      client: { type: 'string', multiple: true },
      method: { type: 'string', multiple: true },
      tool: { type: 'string', multiple: true },
      outcome: { type: 'string', multiple: true },
      kind: { type: 'string', multiple: true },
      text: { type: 'string' },
      format: { type: 'string', default: 'jsonl' },
      output: { type: 'string', short: 'o' },
      json: { type: 'boolean' },
      all: { type: 'boolean' },
      'data-dir': { type: 'string' },
    },
    { help: (text) => void io.stdout.write(text), error: (text) => void io.stderr.write(text) },
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [action, ...extra] = positionals;
  if (!action || !['export', 'tail', 'verify'].includes(action) || extra.length > 0) {
    io.stderr.write(`${AUDIT_USAGE}\n`);
    return 2;
  }
  const dir = auditDir(values['data-dir'] ?? dataDir);

  if (action === 'verify') {
    const report = await verifyAuditDir(dir);
    for (const warning of report.warnings) io.stderr.write(`warning: ${warning}\n`);
    if (!report.ok) {
      const b = report.break!;
      io.stdout.write(`audit chain BROKEN at ${b.file} line ${b.line}: ${b.reason}\n`);
      return 1;
    }
    io.stdout.write(`audit chain intact: ${report.events} events in ${report.segments} segments (${dir})\n`);
    return 0;
  }

  const raw: RawParams = {};
  for (const flag of FILTER_FLAGS) raw[flag] = values[flag];
  const filter = parseAuditQuery(raw, (io.now ?? Date.now)());
  if (!filter.ok) {
    // The messages name query parameters; here they are flags.
    const message = filter.message.replace(new RegExp(`"(${FILTER_FLAGS.join('|')})"(?=[: ])`, 'g'), '--$1');
    io.stderr.write(`gatehouse audit: ${message}\n`);
    return 2;
  }

  if (action === 'tail') {
    const signal = io.signal ?? new AbortController().signal;
    const print = (event: AuditEvent): void => {
      if (!eventMatches(event, filter.query)) return;
      io.stdout.write(values.json ? `${JSON.stringify(event)}\n` : `${formatEvent(event)}\n`);
    };
    await followAudit(dir, print, { signal, fromStart: values.all ?? false });
    return 0;
  }

  const format = values.format as ExportFormat;
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    io.stderr.write(`gatehouse audit: --format must be one of ${EXPORT_FORMATS.join(', ')} (got "${format}")\n`);
    return 2;
  }
  const store = await AuditStore.open({ dir, readOnly: true });
  for (const warning of store.warnings) io.stderr.write(`warning: ${warning}\n`);
  const out = values.output ? createWriteStream(values.output, { mode: 0o600 }) : io.stdout;
  try {
    for await (const chunk of store.export(filter.query, format)) {
      if (!out.write(chunk)) await once(out, 'drain');
    }
    if (values.output) {
      out.end();
      await once(out, 'finish');
    }
  } catch (error) {
    // `... | head` closes the pipe early: that is the reader's choice, not a failure.
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    io.stderr.write(`gatehouse audit: export failed: ${errorMessage(error)}\n`);
    return 1;
  } finally {
    await store.close();
  }
  return 0;
}

/** One event as a line for people: time, outcome, server, method, target, duration, client. */
export function formatEvent(e: AuditEvent): string {
  const parts = [new Date(e.time).toISOString(), (e.outcome ?? e.kind).padEnd(12), (e.server ?? '-').padEnd(16)];
  if (e.kind === 'lifecycle') {
    parts.push(`${e.event ?? 'lifecycle'}${e.exitCode !== undefined && e.exitCode !== null ? ` code=${e.exitCode}` : ''}${e.signal ? ` signal=${e.signal}` : ''}`);
  } else {
    parts.push([e.method, e.target].filter(Boolean).join(' '));
  }
  if (e.durationMs !== undefined) parts.push(`${e.durationMs}ms`);
  const who = e.client?.tokenName ?? e.client?.name;
  if (who) parts.push(`client=${who}`);
  if (e.error) parts.push(`error=${JSON.stringify(e.error.message)}`);
  return parts.join('  ');
}
