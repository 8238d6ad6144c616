/**
 * Launch approvals as the running gateway applies them: a stdio server whose launch was not
 * approved stays `stopped` ("waiting for approval: <command line>"), and starts as soon as it is
 * approved, here or by `gatehouse approve` in another process.
 */
import type { ServerConfig } from '../../../shared/server-config.js';
import type { Backend } from '../backends/backend.js';
import { describeLaunch, type ApprovalStatus, type ApprovalStore } from './approvals.js';

export interface ApprovalGateDeps {
  /** Without a store every server may launch. */
  approvals: ApprovalStore | undefined;
  backends: { get(name: string): Backend | undefined; all(): Backend[] };
  /** The PATH stdio commands are looked up on, to show what would run. */
  PATH: string;
}

export class ApprovalGate {
  constructor(private readonly deps: ApprovalGateDeps) {}

  /** Why `server` may not launch now (`undefined`: it may). */
  async launchGate(server: string, config: ServerConfig): Promise<string | undefined> {
    const { approvals } = this.deps;
    if (!approvals || config.transport !== 'stdio' || !approvals.needsApproval(server, config)) return undefined;
    await approvals.refresh();
    if (!approvals.needsApproval(server, config)) return undefined;
    return `waiting for approval: ${describeLaunch(server, config, { PATH: this.deps.PATH }).commandLine}`;
  }

  /** The `approval` field of a server view. */
  viewField(server: string, config: ServerConfig): { approval?: Exclude<ApprovalStatus, 'not-needed'> } {
    const status = this.deps.approvals?.status(server, config);
    return status === undefined || status === 'not-needed' ? {} : { approval: status };
  }

  /** A server just approved starts at once, if it is enabled and was waiting. */
  async startApproved(server: string): Promise<void> {
    const backend = this.deps.backends.get(server);
    if (!backend || !backend.config.enabled || backend.state.status !== 'stopped') return;
    if (this.deps.approvals?.needsApproval(server, backend.config)) return;
    await backend.activate();
  }

  /** Catches up with approvals written by another process, starting the servers they let through. */
  async poll(): Promise<void> {
    const { approvals } = this.deps;
    if (!approvals) return;
    const waiting = this.deps.backends.all().filter((b) => b.config.enabled && b.state.status === 'stopped' && approvals.needsApproval(b.name, b.config));
    if (waiting.length === 0) return;
    await approvals.refresh();
    for (const backend of waiting) if (!approvals.needsApproval(backend.name, backend.config)) await this.startApproved(backend.name);
  }
}
