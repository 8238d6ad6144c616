/**
 * The header's one-line state of the gateway: the worst thing going on, so four failing
 * servers never hide behind a green "running". Pure, unit-tested.
 */
import type { ServerView } from '../../shared/control-api.js';

/** Worst first. */
export type GatewayState = 'unreachable' | 'connecting' | 'failing' | 'attention' | 'running';

export interface GatewaySummary {
  state: GatewayState;
  /** What the header says, e.g. `Gateway running · 1 of 4 servers running · 3 failing`. */
  text: string;
}

/** Servers that need the user (a sign-in, an approval) or are not well yet. */
function needsAttention(s: ServerView): boolean {
  return s.status === 'degraded' || s.status === 'starting' || s.needsAuth === true || s.approval === 'pending' || s.approval === 'changed';
}

export function summarize(servers: readonly ServerView[] | undefined, unreachable: boolean): GatewaySummary {
  if (unreachable) return { state: 'unreachable', text: 'Gateway unreachable' };
  if (!servers) return { state: 'connecting', text: 'Gateway connecting' };
  const running = servers.filter((s) => s.status === 'running').length;
  const failing = servers.filter((s) => s.status === 'error').length;
  const attention = servers.filter(needsAttention).length;
  const parts = [`${running} of ${servers.length} server${servers.length === 1 ? '' : 's'} running`];
  if (failing > 0) parts.push(`${failing} failing`);
  if (attention > 0) parts.push(`${attention} need${attention === 1 ? 's' : ''} attention`);
  const state: GatewayState = failing > 0 ? 'failing' : attention > 0 ? 'attention' : 'running';
  const head = state === 'failing' ? 'Gateway running with failing servers' : state === 'attention' ? 'Gateway running, servers need attention' : 'Gateway running';
  return { state, text: `${head} · ${parts.join(' · ')}` };
}
