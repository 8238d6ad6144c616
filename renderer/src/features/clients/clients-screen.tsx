import type { ReactElement } from 'react';
import type { ServerView } from '../../../../shared/control-api.js';
import { CopyButton } from '../../components/copy-button.js';
import { EmptyState } from '../../components/empty-state.js';
import { useApi } from '../../hooks/use-api.js';

/** The generic `mcpServers` entry most clients (Cursor, Windsurf, Cline, …) read. */
function snippet(name: string, url: string): string {
  const entry = { type: 'streamable-http', url, headers: { Authorization: 'Bearer ${GATEHOUSE_TOKEN}' } };
  return JSON.stringify({ mcpServers: { [name]: entry } }, null, 2);
}

function Endpoint({ title, name, url }: { title: string; name: string; url: string }): ReactElement {
  const text = snippet(name, url);
  return (
    <section className="panel endpoint" aria-label={title}>
      <h2>{title}</h2>
      <div className="url-row">
        <code className="url">{url}</code>
        <CopyButton text={url} what={`${title} URL`} />
      </div>
      <div className="snippet">
        <pre>{text}</pre>
        <CopyButton text={text} what={`${title} config`} />
      </div>
    </section>
  );
}

/** Copy-ready configs: the aggregate endpoint, and one per server. */
export function ClientsScreen({ servers }: { servers: ServerView[] | undefined }): ReactElement {
  const api = useApi();
  const base = api.gatewayUrl();
  return (
    <section aria-labelledby="clients-title">
      <div className="screen-head">
        <h1 id="clients-title">Clients</h1>
      </div>
      <p className="hint">
        Point each AI client at one URL. Create a client token under <a href="#/settings">Settings</a> and put it where the snippet says{' '}
        <code>{'${GATEHOUSE_TOKEN}'}</code> (or in that environment variable, for clients that expand it). Claude Desktop reads stdio servers
        only: it needs the stdio bridge.
      </p>
      <Endpoint title="All servers (aggregate)" name="gatehouse" url={`${base}/mcp`} />
      {servers?.length === 0 && (
        <EmptyState title="No servers to expose yet">
          <p>Per-server endpoints appear here once you add servers.</p>
        </EmptyState>
      )}
      {servers?.map((s) => (
        <Endpoint key={s.name} title={`Only ${s.name}`} name={s.name} url={`${base}/servers/${encodeURIComponent(s.name)}/mcp`} />
      ))}
    </section>
  );
}
