/**
 * The add/edit server form as plain data, and its translation to an `mcpServers` entry. The
 * entry is validated with the same `parseServerEntry` the gateway uses, on every keystroke.
 */
import { parseServerEntry } from '../../../../shared/config-schema.js';
import { REDACTED, type McpServerEntry } from '../../../../shared/control-api.js';
import { moveToSecret, type SecretMove } from '../../../../shared/import-plan.js';
import { checkServerName } from '../../../../shared/server-config.js';

/** One env var or header. `kept`: the gateway has a value it does not show; sent back as is. */
export interface KeyValueRow {
  id: number;
  key: string;
  value: string;
  /** Store the value in the secret store; the config gets a `${secret:...}` reference. */
  secret: boolean;
  kept: boolean;
  /** The secret the stored value refers to (one reference): a new value typed here replaces that secret. */
  secretRef?: string;
}

export interface ServerFormState {
  name: string;
  kind: 'stdio' | 'remote';
  command: string;
  args: string[];
  env: KeyValueRow[];
  cwd: string;
  url: string;
  type: 'streamable-http' | 'sse';
  headers: KeyValueRow[];
  timeout: string;
  sseReadTimeout: string;
  enabled: boolean;
  /** Fields the form does not edit (toolFilter, supervision), carried over unchanged. */
  extra: Record<string, unknown>;
}

let nextRowId = 1;

export function newRow(key = '', value = '', kept = false): KeyValueRow {
  return { id: nextRowId++, key, value, secret: false, kept };
}

export function emptyForm(): ServerFormState {
  return {
    name: '',
    kind: 'stdio',
    command: '',
    args: [],
    env: [],
    cwd: '',
    url: '',
    type: 'streamable-http',
    headers: [],
    timeout: '',
    sseReadTimeout: '',
    enabled: true,
    extra: {},
  };
}

const FORM_KEYS = new Set(['command', 'args', 'env', 'cwd', 'url', 'type', 'transport', 'headers', 'timeout', 'sseReadTimeout', 'enabled', 'disabled']);

function rowsOf(value: unknown, secretRefs: Readonly<Record<string, string[]>>): KeyValueRow[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value as Record<string, unknown>).map(([k, v]) => {
    const row = v === REDACTED ? newRow(k, '', true) : newRow(k, String(v));
    const refs = secretRefs[k] ?? [];
    // A value held in the secret store is shown as such: "secret" ticked, and which one.
    return refs.length > 0 ? { ...row, secret: true, ...(refs.length === 1 ? { secretRef: refs[0]! } : {}) } : row;
  });
}

/**
 * The form for an existing server (its entry as `GET /admin/servers/<name>` shows it, and the
 * secrets its values refer to).
 */
export function formFromEntry(name: string, entry: McpServerEntry, secretRefs: Readonly<Record<string, string[]>> = {}): ServerFormState {
  const form = emptyForm();
  form.name = name;
  form.enabled = entry['enabled'] !== false && entry['disabled'] !== true;
  form.extra = Object.fromEntries(Object.entries(entry).filter(([key]) => !FORM_KEYS.has(key)));
  if (typeof entry['command'] === 'string') {
    form.kind = 'stdio';
    form.command = entry['command'];
    form.args = Array.isArray(entry['args']) ? entry['args'].map(String) : [];
    form.env = rowsOf(entry['env'], secretRefs);
    form.cwd = typeof entry['cwd'] === 'string' ? entry['cwd'] : '';
  } else {
    form.kind = 'remote';
    form.url = typeof entry['url'] === 'string' ? entry['url'] : '';
    form.type = entry['type'] === 'sse' || entry['transport'] === 'sse' ? 'sse' : 'streamable-http';
    form.headers = rowsOf(entry['headers'], secretRefs);
    form.timeout = entry['timeout'] !== undefined ? String(entry['timeout']) : '';
    form.sseReadTimeout = entry['sseReadTimeout'] !== undefined ? String(entry['sseReadTimeout']) : '';
  }
  return form;
}

/** A number field: a number when it reads as one, else the text (so the schema names the problem). */
function numberField(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/**
 * The entry to send, and the values that go to the secret store first. Rows marked secret are
 * replaced by references; rows the gateway keeps hidden are sent as {@link REDACTED} (kept).
 */
export function entryFromForm(form: ServerFormState): { entry: McpServerEntry; moves: SecretMove[] } {
  const moves: SecretMove[] = [];
  const section = form.kind === 'stdio' ? 'env' : 'headers';
  const values: Record<string, string> = {};
  for (const row of form.kind === 'stdio' ? form.env : form.headers) {
    if (row.key === '' && row.value === '' && !row.kept) continue;
    if (row.kept && row.value === '') {
      values[row.key] = REDACTED;
      continue;
    }
    const move = row.secret ? moveToSecret(form.name || 'server', section, row.key, row.value, row.secretRef) : undefined;
    if (move) moves.push(move);
    values[row.key] = move ? move.reference : row.value;
  }
  const entry: McpServerEntry = { ...form.extra };
  if (!form.enabled) entry['enabled'] = false;
  if (form.kind === 'stdio') {
    entry['command'] = form.command;
    if (form.args.length > 0) entry['args'] = form.args;
    if (Object.keys(values).length > 0) entry['env'] = values;
    if (form.cwd.trim() !== '') entry['cwd'] = form.cwd;
  } else {
    entry['type'] = form.type;
    entry['url'] = form.url;
    if (Object.keys(values).length > 0) entry['headers'] = values;
    const timeout = numberField(form.timeout);
    if (timeout !== undefined) entry['timeout'] = timeout;
    const sseReadTimeout = numberField(form.sseReadTimeout);
    if (sseReadTimeout !== undefined) entry['sseReadTimeout'] = sseReadTimeout;
  }
  return { entry, moves };
}

/** Every problem of the form, worded as the gateway words them; empty when it can be saved. */
export function validateForm(form: ServerFormState, existingNames: readonly string[], isNew: boolean): string[] {
  const problems: string[] = [];
  if (isNew && existingNames.includes(form.name)) problems.push(`server ${JSON.stringify(form.name)}: a server with this name exists`);
  const rows = form.kind === 'stdio' ? form.env : form.headers;
  const keys = rows.map((r) => r.key).filter((k) => k !== '');
  const duplicate = keys.find((k, i) => keys.indexOf(k) !== i);
  if (duplicate) problems.push(`${form.kind === 'stdio' ? 'env' : 'headers'}: ${JSON.stringify(duplicate)} appears twice`);
  if (rows.some((r) => r.key === '' && r.value !== '')) problems.push(`${form.kind === 'stdio' ? 'env' : 'headers'}: a value has no name`);
  const { entry } = entryFromForm(form);
  const parsed = parseServerEntry(form.name, entry);
  if (!parsed.ok) problems.push(...parsed.errors);
  else if (checkServerName(form.name) !== undefined) problems.push(`server ${JSON.stringify(form.name)}: ${checkServerName(form.name)}`);
  return problems;
}
