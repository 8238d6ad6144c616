import { useCallback, useMemo, useState, type ReactElement } from 'react';
import type { ToolView } from '../../../../shared/control-api.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorText } from '../../components/error-text.js';
import { Switch } from '../../components/switch.js';
import { useApi } from '../../hooks/use-api.js';
import { describeError, usePoll } from '../../hooks/use-poll.js';
import { ToolSchema } from './tool-schema.js';
import { setAllTools, toggleTool, type ToolFilter } from './tool-filter-edit.js';
import { TryTool } from './try-tool.js';

/** Past this many enabled tools, models start to lose track of them (and of the context). */
const MANY_TOOLS = 40;
const COLLAPSED_KEY = 'gatehouse.tools.collapsed';

function readCollapsed(): Set<string> {
  try {
    const saved: unknown = JSON.parse(localStorage.getItem(COLLAPSED_KEY) ?? '[]');
    return new Set(Array.isArray(saved) ? saved.filter((s): s is string => typeof s === 'string') : []);
  } catch {
    return new Set();
  }
}

/** Which servers' groups are folded, kept in this browser (localStorage). */
function useCollapsed(): [Set<string>, (server: string) => void] {
  const [collapsed, setCollapsed] = useState(readCollapsed);
  const toggle = useCallback((server: string) => {
    setCollapsed((current) => {
      const next = new Set(current);
      if (!next.delete(server)) next.add(server);
      localStorage.setItem(COLLAPSED_KEY, JSON.stringify([...next]));
      return next;
    });
  }, []);
  return [collapsed, toggle];
}

/** Every tool of every server, grouped by server, with a switch that edits the server's filter. */
export function ToolsScreen(): ReactElement {
  const api = useApi();
  const tools = usePoll(() => api.listTools(), 5000);
  const [query, setQuery] = useState('');
  const [error, setError] = useState<string>();
  const [pending, setPending] = useState<string>();
  const [collapsed, toggleCollapsed] = useCollapsed();
  const [trying, setTrying] = useState<string>();

  const searching = query.trim() !== '';
  const groups = useMemo(() => {
    const q = query.trim().toLowerCase();
    const byServer = new Map<string, { all: ToolView[]; shown: ToolView[] }>();
    for (const tool of tools.data ?? []) {
      const group = byServer.get(tool.server) ?? { all: [], shown: [] };
      byServer.set(tool.server, group);
      group.all.push(tool);
      const hay = `${tool.server} ${tool.name} ${tool.exposedName} ${tool.description ?? ''}`.toLowerCase();
      if (!q || hay.includes(q)) group.shown.push(tool);
    }
    return [...byServer].filter(([, group]) => group.shown.length > 0);
  }, [tools.data, query]);
  const enabledTotal = tools.data?.filter((t) => t.enabled).length ?? 0;

  async function writeFilter(server: string, change: (filter: ToolFilter | undefined) => ToolFilter | undefined): Promise<void> {
    setPending(server);
    setError(undefined);
    try {
      const { config } = await api.getServer(server);
      const { toolFilter, disabledTools: _merged, ...rest } = config as { toolFilter?: ToolFilter; disabledTools?: unknown };
      const next = change(toolFilter);
      await api.putServer(server, { ...rest, ...(next ? { toolFilter: next } : {}) });
      await tools.refresh();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setPending(undefined);
    }
  }

  async function handleToggle(tool: ToolView, enabled: boolean): Promise<void> {
    await writeFilter(tool.server, (filter) => toggleTool(filter, tool.name, enabled));
    const after = (await api.listTools()).find((t) => t.server === tool.server && t.name === tool.name);
    if (after && after.enabled !== enabled) setError(`${tool.name} is still ${after.enabled ? 'on' : 'off'}: a pattern in ${tool.server}'s toolFilter decides it (edit the server)`);
  }

  return (
    <section aria-labelledby="tools-title">
      <div className="screen-head">
        <h1 id="tools-title">Tools</h1>
        <div className="toolbar">
          <label htmlFor="tool-search" className="visually-hidden">
            Search tools
          </label>
          <input id="tool-search" type="search" placeholder="Search tools" value={query} onChange={(e) => setQuery(e.target.value)} />
        </div>
      </div>
      <p className="hint" aria-live="polite">
        {enabledTotal} of {tools.data?.length ?? 0} tools enabled.
        {enabledTotal > MANY_TOOLS && ` That is a lot for one model: each tool's description takes context. Turn off the ones you do not use.`}
      </p>
      <ErrorText message={error ?? tools.error} />
      {tools.data?.length === 0 && (
        <EmptyState title="No tools yet">
          <p>Tools appear here once a server is running. Add or start one on the Servers screen.</p>
        </EmptyState>
      )}
      {groups.map(([server, { all, shown }]) => {
        const on = all.filter((t) => t.enabled).length;
        // A search shows its matches whatever is folded; the folding is kept for later.
        const open = searching || !collapsed.has(server);
        const key = (tool: ToolView): string => `${tool.server}/${tool.name}`;
        return (
          <section key={server} className="panel tool-group" aria-labelledby={`tools-${server}`} data-server={server} data-open={open}>
            <div className="tool-group-head">
              <h2 id={`tools-${server}`}>
                <button type="button" className="group-toggle" aria-expanded={open} aria-controls={`tool-list-${server}`} onClick={() => toggleCollapsed(server)}>
                  <span className="chevron" aria-hidden="true" />
                  {server}
                </button>
              </h2>
              <span className="muted group-counts" data-testid="group-counts">
                {all.length} tool{all.length === 1 ? '' : 's'} · {on} on
                {all.length - on > 0 ? ` · ${all.length - on} off` : ''}
                {searching ? ` · ${shown.length} match${shown.length === 1 ? '' : 'es'}` : ''}
              </span>
              <button type="button" className="button small" disabled={pending === server} onClick={() => void writeFilter(server, () => setAllTools([], true))}>
                All on
              </button>
              <button
                type="button"
                className="button small"
                disabled={pending === server}
                onClick={() => void writeFilter(server, () => setAllTools(all.map((t) => t.name), false))}
              >
                All off
              </button>
            </div>
            {open && (
              <ul className="tool-list" id={`tool-list-${server}`}>
                {shown.map((tool) => (
                  <li key={tool.name} className="tool-row" data-tool={tool.name}>
                    <Switch checked={tool.enabled} label={`Enable ${tool.name}`} disabled={pending === server} onChange={(on) => void handleToggle(tool, on)} />
                    <div className="tool-body">
                      <div className="tool-line">
                        <code className="tool-name">{tool.exposedName}</code>
                        {tool.shortened && <span className="muted"> (shortened from {tool.name})</span>}
                        <button
                          type="button"
                          className="button small try-button"
                          aria-expanded={trying === key(tool)}
                          aria-label={`Try ${tool.name}`}
                          onClick={() => setTrying(trying === key(tool) ? undefined : key(tool))}
                        >
                          Try it
                        </button>
                      </div>
                      {tool.description && <p className="tool-description">{tool.description}</p>}
                      <ToolSchema tool={tool.name} schema={tool.inputSchema} />
                      {trying === key(tool) && <TryTool tool={tool} onClose={() => setTrying(undefined)} />}
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </section>
        );
      })}
    </section>
  );
}
