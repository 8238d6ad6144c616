import { useMemo, useState, type ReactElement } from 'react';
import type { ToolView } from '../../../../shared/control-api.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorText } from '../../components/error-text.js';
import { Switch } from '../../components/switch.js';
import { useApi } from '../../hooks/use-api.js';
import { describeError, usePoll } from '../../hooks/use-poll.js';
import { ToolSchema } from './tool-schema.js';
import { setAllTools, toggleTool, type ToolFilter } from './tool-filter-edit.js';

/** Past this many enabled tools, models start to lose track of them (and of the context). */
const MANY_TOOLS = 40;

/** Every tool of every server, grouped by server, with a switch that edits the server's filter. */
export function ToolsScreen(): ReactElement {
  const api = useApi();
  const tools = usePoll(() => api.listTools(), 5000);
  const [query, setQuery] = useState('');
  const [error, setError] = useState<string>();
  const [pending, setPending] = useState<string>();

  const groups = useMemo(() => {
    const q = query.trim().toLowerCase();
    const byServer = new Map<string, ToolView[]>();
    for (const tool of tools.data ?? []) {
      const hay = `${tool.server} ${tool.name} ${tool.exposedName} ${tool.description ?? ''}`.toLowerCase();
      if (q && !hay.includes(q)) continue;
      byServer.set(tool.server, [...(byServer.get(tool.server) ?? []), tool]);
    }
    return [...byServer];
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
      {groups.map(([server, list]) => {
        const on = list.filter((t) => t.enabled).length;
        return (
          <section key={server} className="panel tool-group" aria-labelledby={`tools-${server}`}>
            <div className="tool-group-head">
              <h2 id={`tools-${server}`}>{server}</h2>
              <span className="muted">
                {on} of {list.length} on
              </span>
              <button type="button" className="button small" disabled={pending === server} onClick={() => void writeFilter(server, () => setAllTools([], true))}>
                All on
              </button>
              <button
                type="button"
                className="button small"
                disabled={pending === server}
                onClick={() => void writeFilter(server, () => setAllTools((tools.data ?? []).filter((t) => t.server === server).map((t) => t.name), false))}
              >
                All off
              </button>
            </div>
            <ul className="tool-list">
              {list.map((tool) => (
                <li key={tool.name} className="tool-row" data-tool={tool.name}>
                  <Switch checked={tool.enabled} label={`Enable ${tool.name}`} disabled={pending === server} onChange={(on) => void handleToggle(tool, on)} />
                  <div className="tool-body">
                    <code className="tool-name">{tool.exposedName}</code>
                    {tool.shortened && <span className="muted"> (shortened from {tool.name})</span>}
                    {tool.description && <p className="tool-description">{tool.description}</p>}
                    <ToolSchema tool={tool.name} schema={tool.inputSchema} />
                  </div>
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </section>
  );
}
