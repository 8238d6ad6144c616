import type { ServerView } from '../../../../shared/control-api.js';

/** A server as the gateway lists it: running stdio with no tools, unless `overrides` say otherwise. */
export function serverView(name: string, overrides: Partial<ServerView> = {}): ServerView {
  return { name, transport: 'stdio', enabled: true, status: 'running', since: 1_000, toolCount: 0, filteredToolCount: 0, ...overrides };
}
