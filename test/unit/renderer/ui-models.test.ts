/** The pure parts of the control UI's newer screens: the schema form, token rules, the header, audit columns, secrets. */
import { describe, expect, it } from 'vitest';
import type { AuditEvent, ServerView, ToolView } from '../../../shared/control-api.js';
import { auditColumns, clientOf } from '../../../renderer/src/features/audit/audit-columns.js';
import { doubledScheme } from '../../../renderer/src/features/secrets/secret-warnings.js';
import { entryFromForm, formFromEntry } from '../../../renderer/src/features/servers/form-model.js';
import { formatSpan } from '../../../renderer/src/features/servers/time-span.js';
import { aclFromForm, describeRules, globToRegExp, patternList, toolsFor } from '../../../renderer/src/features/tokens/token-rules.js';
import { describeField, fieldKind, initialArguments, missingOrInvalid, parseNumber } from '../../../renderer/src/features/tools/schema-model.js';
import { summarize } from '../../../renderer/src/gateway-state.js';

const TRIP = {
  type: 'object',
  properties: {
    title: { type: 'string' },
    days: { type: 'integer', minimum: 1, maximum: 30 },
    refundable: { type: 'boolean' },
    strict: { type: 'boolean' },
    mode: { type: 'string', enum: ['train', 'plane'] },
    tags: { type: 'array', items: { type: 'string' } },
    stops: { type: 'array', items: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    traveller: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name'] },
    extra: { type: ['string', 'number'] },
    anything: {},
    note: { type: ['string', 'null'], default: 'none' },
  },
  required: ['title', 'days', 'mode', 'traveller', 'strict'],
};

describe('schema form model', () => {
  it('picks a control per schema, with JSON for what a form cannot draw', () => {
    const kinds = Object.fromEntries(Object.entries(TRIP.properties).map(([name, schema]) => [name, fieldKind(schema)]));
    expect(kinds).toEqual({
      title: 'string',
      days: 'integer',
      refundable: 'boolean',
      strict: 'boolean',
      mode: 'enum',
      tags: 'array',
      stops: 'array',
      traveller: 'object',
      extra: 'json',
      anything: 'json',
      note: 'string',
    });
    expect(fieldKind({ type: 'object' })).toBe('json');
    expect(fieldKind({ type: 'array' })).toBe('json');
  });

  it('starts from defaults and required groups, and names what is missing or out of range by path', () => {
    const start = initialArguments(TRIP);
    expect(start).toEqual({ strict: false, traveller: {}, note: 'none' });
    expect(missingOrInvalid(TRIP, start)).toEqual(['title: required', 'days: required', 'mode: required', 'traveller.name: required']);
    const filled = { ...start, title: 't', days: 40, mode: 'boat', traveller: { name: 'Ada' }, stops: [{}] };
    expect(missingOrInvalid(TRIP, filled)).toEqual(['days: at most 30', 'mode: one of "train", "plane"', 'stops[0].city: required']);
  });

  it('reads numbers as typed, refusing fractions where a whole number is wanted', () => {
    expect(parseNumber(' 42 ', true)).toEqual({ ok: true, value: 42 });
    expect(parseNumber('', true)).toEqual({ ok: true, value: undefined });
    expect(parseNumber('2.5', true)).toEqual({ ok: false, message: '2.5 is not a whole number' });
    expect(parseNumber('1e3', false)).toEqual({ ok: true, value: 1000 });
    expect(parseNumber('abc', false)).toEqual({ ok: false, message: '"abc" is not a number' });
  });

  it('describes a field without the safe-integer range zod writes on every integer', () => {
    expect(describeField({ type: 'integer', minimum: 1, maximum: 30 })).toBe('integer, ≥ 1, ≤ 30');
    expect(describeField({ type: 'integer', minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER })).toBe('integer');
    expect(describeField({ type: ['string', 'number'] })).toBe('JSON: string | number');
    expect(describeField({ type: 'array', items: { type: 'string' } })).toBe('array of string');
  });
});

describe('token rules', () => {
  const tool = (server: string, name: string, enabled = true): ToolView => ({ server, name, exposedName: `${server}__${name}`, shortened: false, enabled });
  const tools = [tool('gh', 'get_issue'), tool('gh', 'list_repos'), tool('gh', 'delete_repo'), tool('gh', 'get_secret', false), tool('fs', 'read_file')];

  it('turns the form into the API ACL, refusing "only these" with none picked', () => {
    expect(aclFromForm({ scope: 'all', servers: [], allow: '', block: '' })).toEqual({ ok: true, acl: { servers: '*' } });
    expect(aclFromForm({ scope: 'some', servers: [], allow: '', block: '' })).toMatchObject({ ok: false });
    expect(aclFromForm({ scope: 'some', servers: ['gh'], allow: 'get_*,\nlist_*', block: ' *delete* ' })).toEqual({
      ok: true,
      acl: { servers: ['gh'], toolFilter: { allow: ['get_*', 'list_*'], block: ['*delete*'] } },
    });
    expect(patternList(' a ,, b\n\n c ')).toEqual(['a', 'b', 'c']);
  });

  it('previews the tools a token would see: its servers, its globs, and only tools the servers have on', () => {
    const seen = toolsFor({ servers: ['gh'], toolFilter: { allow: ['get_*', 'list_*'], block: ['*repo*'] } }, tools).map((t) => t.name);
    expect(seen).toEqual(['get_issue']);
    expect(toolsFor({ servers: '*' }, tools).map((t) => t.name)).toEqual(['get_issue', 'list_repos', 'delete_repo', 'read_file']);
    expect(globToRegExp('{get,list}_?ssue').test('get_issue')).toBe(true);
    expect(globToRegExp('[gl]*').test('list_repos')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    expect(globToRegExp('Get_*').test('get_issue')).toBe(false);
    expect(describeRules({ servers: '*', toolFilter: { allow: ['get_*'], block: ['get_secret'] } })).toBe('only get_*; not get_secret');
    expect(describeRules({ servers: '*' })).toBe('all tools');
  });
});

describe('header state', () => {
  const view = (name: string, status: string, extra: Partial<ServerView> = {}): ServerView => ({
    name,
    transport: 'stdio',
    enabled: true,
    status,
    since: 0,
    toolCount: 0,
    filteredToolCount: 0,
    ...extra,
  });

  it('shows the worst state: failing over attention over running', () => {
    expect(summarize([view('a', 'running')], false)).toEqual({ state: 'running', text: 'Gateway running · 1 of 1 server running' });
    const failing = summarize([view('a', 'running'), view('b', 'error'), view('c', 'error'), view('d', 'degraded')], false);
    expect(failing).toEqual({ state: 'failing', text: 'Gateway running with failing servers · 1 of 4 servers running · 2 failing · 1 needs attention' });
    expect(summarize([view('a', 'stopped', { approval: 'pending' })], false).state).toBe('attention');
    expect(summarize([view('a', 'error')], true).state).toBe('unreachable');
    expect(summarize(undefined, false).state).toBe('connecting');
  });
});

describe('audit columns', () => {
  const event = (client: AuditEvent['client'], server = 'github', outcome: AuditEvent['outcome'] = 'ok'): AuditEvent => ({ id: 'x', time: 0, kind: 'request', server, outcome, ...(client ? { client } : {}) });

  it('names the token and the client, once when they are the same', () => {
    expect(clientOf(event({ tokenName: 'laptop', name: 'claude-code' }))).toBe('laptop · claude-code');
    expect(clientOf(event({ tokenName: 'same', name: 'same' }))).toBe('same');
    expect(clientOf(event(undefined))).toBe('');
  });

  it('sizes the client and outcome columns from the longest values loaded', () => {
    const short = auditColumns([event({ name: 'x' })]).split(' ');
    const long = auditColumns([event({ tokenName: 'a-long-token-name', name: 'a-long-client-name' }, 'github', 'backend_unreachable')]);
    expect(long).not.toBe(short.join(' '));
    expect(long).toContain('minmax(6rem, 23.3rem)');
    expect(long).toContain('calc(11.9rem + 1rem)');
  });
});

describe('servers and secrets', () => {
  it('ticks "secret" for values held in the store, and a new value replaces that same secret', () => {
    const form = formFromEntry('github', { url: 'https://x.example/mcp', type: 'streamable-http', headers: { Authorization: '[REDACTED]', 'X-Team': '[REDACTED]' } }, { Authorization: ['github-token'] });
    const [auth, team] = form.headers;
    expect(auth).toMatchObject({ key: 'Authorization', secret: true, kept: true, secretRef: 'github-token' });
    expect(team).toMatchObject({ key: 'X-Team', secret: false, kept: true });
    expect(entryFromForm(form).entry['headers']).toEqual({ Authorization: '[REDACTED]', 'X-Team': '[REDACTED]' });
    const edited = { ...form, headers: [{ ...auth!, value: 'Bearer new-value' }, team!] };
    const { entry, moves } = entryFromForm(edited);
    expect(moves).toEqual([expect.objectContaining({ secret: 'github-token', value: 'new-value', reference: 'Bearer ${secret:github-token}' })]);
    expect(entry['headers']).toEqual({ Authorization: 'Bearer ${secret:github-token}', 'X-Team': '[REDACTED]' });
  });

  it('warns when a value repeats the scheme its header already writes', () => {
    const uses = [{ server: 'gh', field: 'headers.Authorization', scheme: 'Bearer' }];
    expect(doubledScheme(uses, 'Bearer abc')).toEqual({ scheme: 'Bearer', where: 'headers.Authorization of gh' });
    expect(doubledScheme(uses, 'bearer abc')).toBeDefined();
    expect(doubledScheme(uses, 'abc')).toBeUndefined();
    expect(doubledScheme([{ server: 'x', field: 'env.KEY' }], 'Bearer abc')).toBeUndefined();
  });

  it('says how long in the two largest units', () => {
    expect([45_000, 12 * 60_000, 3 * 3_600_000 + 5 * 60_000, 3 * 3_600_000, 50 * 3_600_000].map(formatSpan)).toEqual(['45 s', '12 min', '3 h 5 min', '3 h', '2 d 2 h']);
  });
});
