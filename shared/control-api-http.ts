/**
 * The {@link ControlApi} over the gateway's `/admin` HTTP API, with an admin token: what the UI
 * uses in a browser on `gatehouse serve`, and the desktop app behind its IPC.
 */
import {
  AUDIT_FILTER_KEYS,
  ControlApiError,
  type ApprovalView,
  type AuditEvent,
  type AuditFilter,
  type ControlApi,
  type ServerStats,
  type ServerView,
  type TokenInfo,
  type ToolView,
} from './control-api.js';

/** Options of {@link createHttpControlApi}. */
export interface HttpControlApiOptions {
  /** The gateway's origin, e.g. `http://127.0.0.1:7420` (in the browser: `location.origin`). */
  baseUrl: string;
  /** An admin token, sent as `Authorization: Bearer`. */
  token: string;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
}

/** Query string of an audit filter; empty fields are left out. */
export function auditSearchParams(filter: AuditFilter, extra: Record<string, string | undefined> = {}): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of AUDIT_FILTER_KEYS) {
    const value = filter[key]?.trim();
    if (value) params.set(key, value);
  }
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) params.set(key, value);
  return params;
}

/** The {@link ControlApi} over the gateway's `/admin` HTTP API. */
export function createHttpControlApi(opts: Readonly<HttpControlApiOptions>): ControlApi {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const headers = (json: boolean): Record<string, string> => ({
    authorization: `Bearer ${opts.token}`,
    ...(json ? { 'content-type': 'application/json' } : {}),
  });

  async function send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers: headers(body !== undefined),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
        cache: 'no-store',
      });
    } catch (error) {
      throw new ControlApiError(0, `cannot reach the gateway (${error instanceof Error ? error.message : String(error)})`);
    }
    if (!res.ok) throw await toError(res);
    return res;
  }
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await send(method, path, body);
    return (await res.json()) as T;
  }
  const seg = encodeURIComponent;

  return {
    gatewayUrl: () => base,
    listServers: async () => (await call<{ servers: ServerView[] }>('GET', '/admin/servers')).servers,
    getServer: (name) => call('GET', `/admin/servers/${seg(name)}`),
    addServer: (name, entry) => call('POST', '/admin/servers', { ...entry, name }),
    putServer: (name, entry) => call('PUT', `/admin/servers/${seg(name)}`, entry),
    removeServer: async (name) => void (await call('DELETE', `/admin/servers/${seg(name)}`)),
    startServer: (name) => call('POST', `/admin/servers/${seg(name)}/start`),
    stopServer: (name) => call('POST', `/admin/servers/${seg(name)}/stop`),
    restartServer: (name) => call('POST', `/admin/servers/${seg(name)}/restart`),
    serverLogs: async (name) => (await call<{ stderr: string[] }>('GET', `/admin/servers/${seg(name)}/logs`)).stderr,
    listApprovals: async () => (await call<{ servers: ApprovalView[] }>('GET', '/admin/approvals')).servers,
    approveServer: async (name, fingerprint) =>
      void (await call('POST', `/admin/servers/${seg(name)}/approve`, fingerprint !== undefined ? { fingerprint } : {})),
    listTools: async () => (await call<{ tools: ToolView[] }>('GET', '/admin/tools')).tools,
    callTool: (request) => call('POST', '/admin/tools/call', request),
    queryAudit: (filter, page = {}) =>
      call('GET', `/admin/audit?${auditSearchParams(filter, { limit: page.limit?.toString(), cursor: page.cursor })}`),
    streamAudit(filter, onEvent, onError) {
      const controller = new AbortController();
      const fail = (error: unknown): void => {
        if (controller.signal.aborted) return;
        onError?.(error instanceof ControlApiError ? error : new ControlApiError(0, `audit stream ended (${String(error)})`));
      };
      void (async () => {
        const res = await send('GET', `/admin/audit/stream?${auditSearchParams(filter)}`, undefined, controller.signal);
        if (!res.body) throw new ControlApiError(0, 'audit stream has no body');
        await readServerSentEvents(res.body, (name, data) => {
          if (name === 'audit') onEvent(JSON.parse(data) as AuditEvent);
        });
        throw new ControlApiError(0, 'audit stream ended');
      })().catch(fail);
      return () => controller.abort();
    },
    async exportAudit(filter, format) {
      const res = await send('GET', `/admin/audit/export?${auditSearchParams(filter, { format })}`);
      const disposition = res.headers.get('content-disposition') ?? '';
      const fileName = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `gatehouse-audit.${format}`;
      return { fileName, mimeType: res.headers.get('content-type') ?? 'text/plain', body: await res.text() };
    },
    async stats(filter) {
      const query = filter ? auditSearchParams(filter).toString() : '';
      return (await call<{ servers: ServerStats[] }>('GET', `/admin/stats${query ? `?${query}` : ''}`)).servers;
    },
    listTokens: async () => (await call<{ tokens: TokenInfo[] }>('GET', '/admin/tokens')).tokens,
    createToken: (request) => call('POST', '/admin/tokens', request),
    revokeToken: async (id) => void (await call('DELETE', `/admin/tokens/${seg(id)}`)),
    listSecrets: () => call('GET', '/admin/secrets'),
    setSecret: async (name, value) => void (await call('PUT', `/admin/secrets/${seg(name)}`, { value })),
    deleteSecret: async (name) => void (await call('DELETE', `/admin/secrets/${seg(name)}`)),
    info: () => call('GET', '/admin/info'),
    clientInstallStatus: (client, server) =>
      call('GET', `/admin/clients/${seg(client)}/install${server !== undefined ? `?server=${seg(server)}` : ''}`),
    previewClientChange: (client, request) => call('POST', `/admin/clients/${seg(client)}/preview`, request),
    installClient: (client, request) => call('POST', `/admin/clients/${seg(client)}/install`, request),
    removeClient: (client, request) => call('POST', `/admin/clients/${seg(client)}/remove`, request),
    getSettings: () => call('GET', '/admin/settings'),
    updateSettings: (patch) => call('PUT', '/admin/settings', patch),
    async signIn(name) {
      const answer = await call<{ url?: string | null; opened?: boolean }>('POST', `/admin/servers/${seg(name)}/auth/login`);
      return { url: answer.url ?? '', opened: answer.opened === true };
    },
  };
}

async function toError(res: Response): Promise<ControlApiError> {
  let message = `HTTP ${res.status}`;
  let details: string[] = [];
  try {
    const body = (await res.json()) as { error?: unknown; details?: unknown };
    if (typeof body.error === 'string') message = body.error;
    else if (body.error && typeof body.error === 'object' && typeof (body.error as { message?: unknown }).message === 'string') {
      message = (body.error as { message: string }).message;
    }
    if (Array.isArray(body.details)) details = body.details.filter((d): d is string => typeof d === 'string');
  } catch {
    // Not JSON: keep the status line.
  }
  return new ControlApiError(res.status, message, details);
}

/**
 * Reads a `text/event-stream` body and calls `onEvent(name, data)` per event (comments and
 * heartbeats are skipped). Resolves when the stream ends. `EventSource` cannot send an
 * `Authorization` header, hence this small parser over `fetch`.
 */
export async function readServerSentEvents(body: ReadableStream<Uint8Array>, onEvent: (name: string, data: string) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.search(/\r?\n\r?\n/)) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      let name = 'message';
      const data: string[] = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const val = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') name = val;
        else if (field === 'data') data.push(val);
      }
      if (data.length > 0) onEvent(name, data.join('\n'));
    }
  }
}
