import { useMemo, type ReactElement } from 'react';
import {
  endpointToolNames,
  endpointUrl,
  generate,
  isClientId,
  listClients,
  type ClientId,
  type ClientInfo,
  type ClientOs,
  type GeneratedConfig,
} from '../../../../shared/client-configs/index.js';
import type { ServerView } from '../../../../shared/control-api.js';
import { CopyButton } from '../../components/copy-button.js';
import { EmptyState } from '../../components/empty-state.js';
import { useApi } from '../../hooks/use-api.js';
import { usePoll } from '../../hooks/use-poll.js';
import { ClientInstall } from './client-install.js';

const DEFAULT_CLIENT: ClientId = 'claude-code';
const CLIENTS: readonly ClientInfo[] = listClients();
const OS_NAMES: Record<ClientOs, string> = { darwin: 'macOS', win32: 'Windows', linux: 'Linux' };
const TRANSPORT_GROUPS: ReadonlyArray<[ClientInfo['transport'], string]> = [
  ['http', 'Connect over HTTP'],
  ['stdio-bridge', 'Through the stdio bridge'],
  ['any', 'Any other client'],
  ['unreachable', 'Cloud connectors (cannot reach this machine)'],
];

/** The OS this page runs on, to put its path first. */
function currentOs(): ClientOs {
  const platform = `${navigator.platform} ${navigator.userAgent}`.toLowerCase();
  if (platform.includes('mac')) return 'darwin';
  if (platform.includes('win')) return 'win32';
  return 'linux';
}

/** The generic `mcpServers` entry most clients (Cursor, Windsurf, Cline, …) read. */
function genericSnippet(name: string, url: string): string {
  const entry = { type: 'streamable-http', url, headers: { Authorization: 'Bearer ${GATEHOUSE_TOKEN}' } };
  return JSON.stringify({ mcpServers: { [name]: entry } }, null, 2);
}

function Endpoint({ title, name, url }: { title: string; name: string; url: string }): ReactElement {
  const text = genericSnippet(name, url);
  return (
    <section className="panel endpoint" aria-label={title}>
      <h3>{title}</h3>
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

/** Where the snippet goes: a file per OS, a command to run, a settings screen, or nowhere. */
function Placement({ config }: { config: GeneratedConfig }): ReactElement {
  const { location } = config;
  if (location.kind === 'command') return <p>Run this command in a terminal.</p>;
  if (location.kind === 'ui') return <p>Paste it in {location.where}.</p>;
  if (location.kind === 'unreachable') return <p>Nowhere: this client cannot reach Gatehouse.</p>;
  const here = currentOs();
  const order = (Object.keys(OS_NAMES) as ClientOs[]).sort((a, b) => Number(b === here) - Number(a === here));
  return (
    <>
      <p>
        {location.scope === 'project' ? 'In the project folder (relative path):' : "In your user's config file:"}
      </p>
      <dl className="facts" data-testid="client-paths">
        {order.map((os) => {
          const paths = location.paths[os];
          if (!paths || paths.length === 0) return null;
          return (
            <div key={os} className="fact-row">
              <dt>
                {OS_NAMES[os]}
                {os === here ? ' (this computer)' : ''}
              </dt>
              <dd>
                {paths.map((p, i) => (
                  <code key={p} className="path">
                    {i > 0 ? 'or ' : ''}
                    {p}
                  </code>
                ))}
              </dd>
            </div>
          );
        })}
      </dl>
    </>
  );
}

function ClientConfig({ config, title }: { config: GeneratedConfig; title: string }): ReactElement {
  const unreachable = config.location.kind === 'unreachable';
  return (
    <section className="panel client-config" aria-label={`${title} config`} data-client={config.client}>
      <h2>{title}</h2>
      {unreachable ? (
        <div className="explanation" role="note">
          {config.notes.map((note) => (
            <p key={note}>{note}</p>
          ))}
        </div>
      ) : (
        <>
          <div className="snippet">
            <pre data-testid="client-snippet" data-language={config.language}>
              {config.snippet}
            </pre>
            <CopyButton text={config.snippet} what={`${title} snippet`} />
          </div>
          <h3>Where it goes</h3>
          <Placement config={config} />
          {config.deepLink && (
            <p>
              Or install it with one click: <a href={config.deepLink}>Open in {title}</a> (the link carries no token).
            </p>
          )}
          {config.tokenEnvVar && !config.literalToken && (
            <p className="hint">
              The token is read from <code>{config.tokenEnvVar}</code>; the snippet never holds it.
            </p>
          )}
          {config.notes.length > 0 && (
            <>
              <h3>Notes</h3>
              <ul className="notes">
                {config.notes.map((note) => (
                  <li key={note}>{note}</li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
      {config.warnings.length > 0 && (
        <ul className="warnings" aria-label="Warnings">
          {config.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

export interface ClientsScreenProps {
  servers: ServerView[] | undefined;
  /** `client` and `server` (empty: the aggregate) of the route. */
  params: URLSearchParams;
  onParamsChange: (params: URLSearchParams) => void;
}

/**
 * Copy-ready config per desktop AI client (the shared/client-configs generators), for the
 * aggregate or one server; then the raw URLs with the generic `mcpServers` form.
 */
export function ClientsScreen({ servers, params, onParamsChange }: ClientsScreenProps): ReactElement {
  const api = useApi();
  const base = api.gatewayUrl();
  const tools = usePoll(() => api.listTools(), 0);
  const requested = params.get('client') ?? '';
  const clientId: ClientId = isClientId(requested) ? requested : DEFAULT_CLIENT;
  const serverParam = params.get('server') ?? '';
  const server = servers?.some((s) => s.name === serverParam) ? serverParam : undefined;
  const title = CLIENTS.find((c) => c.id === clientId)?.title ?? clientId;

  const config = useMemo(() => {
    // The tools the client would see through the endpoint, for the length and count warnings.
    const names = tools.data && endpointToolNames(tools.data, server !== undefined ? { server } : {});
    return generate(clientId, {
      url: endpointUrl(base, server),
      // Entry names allow [A-Za-z0-9_-], which server names already satisfy.
      ...(server !== undefined ? { serverName: server } : {}),
      ...(names ? { toolNames: names } : {}),
    });
  }, [base, clientId, server, tools.data]);

  function change(key: 'client' | 'server', value: string): void {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    onParamsChange(next);
  }

  return (
    <section aria-labelledby="clients-title">
      <div className="screen-head">
        <h1 id="clients-title">Clients</h1>
      </div>
      <p className="hint">
        Point each AI client at one URL. <strong>Install</strong> writes the entry into the client’s own config file with a token of its own; or
        create a client token under <a href="#/tokens">Tokens</a> and copy the snippet, which never contains it but says where it goes.
      </p>
      <form className="filters client-picker" aria-label="Client config" onSubmit={(e) => e.preventDefault()}>
        <label>
          Client
          <select aria-label="Client" value={clientId} onChange={(e) => change('client', e.target.value)}>
            {TRANSPORT_GROUPS.map(([transport, label]) => (
              <optgroup key={transport} label={label}>
                {CLIENTS.filter((c) => c.transport === transport).map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.title}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </label>
        <label>
          Servers
          <select aria-label="Servers" value={server ?? ''} onChange={(e) => change('server', e.target.value)}>
            <option value="">All servers (aggregate)</option>
            {servers?.map((s) => (
              <option key={s.name} value={s.name}>
                Only {s.name}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ClientInstall client={clientId} server={server} title={title} />
      <ClientConfig config={config} title={title} />

      <h2 className="section-title">Raw URLs</h2>
      <p className="hint">
        For any other client: the URL, and the generic <code>mcpServers</code> form with the token read from <code>{'${GATEHOUSE_TOKEN}'}</code>{' '}
        (put the token itself there if the client does not expand variables).
      </p>
      <Endpoint title="All servers (aggregate)" name="gatehouse" url={endpointUrl(base)} />
      {servers?.length === 0 && (
        <EmptyState title="No servers to expose yet">
          <p>Per-server endpoints appear here once you add servers.</p>
        </EmptyState>
      )}
      {servers?.map((s) => (
        <Endpoint key={s.name} title={`Only ${s.name}`} name={s.name} url={endpointUrl(base, s.name)} />
      ))}
    </section>
  );
}
