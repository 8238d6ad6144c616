import { afterEach, describe, expect, it } from 'vitest';
import { createRedactor, REDACTED, truncateText, truncateValue } from '../../../../../main/core/audit/redact.js';
import { call, allFileText, collect, Scratch } from './helpers.js';

const scratch = new Scratch();
afterEach(() => scratch.cleanup());

describe('createRedactor', () => {
  it('redacts values of sensitive keys at any depth, whatever their case', () => {
    const r = createRedactor();
    const out = r.redactValue({
      headers: { Authorization: 'Bearer abc', COOKIE: 'sid=1', 'X-Api-Key': 'k1', 'Content-Type': 'json' },
      nested: [{ github_token: 'ghp_1', clientSecret: { deep: 'x' }, Password: 1234, accessTokenValid: true }],
      path: '/tmp/a',
    });
    expect(out).toEqual({
      headers: { Authorization: REDACTED, COOKIE: REDACTED, 'X-Api-Key': REDACTED, 'Content-Type': 'json' },
      nested: [{ github_token: REDACTED, clientSecret: REDACTED, Password: REDACTED, accessTokenValid: true }],
      path: '/tmp/a',
    });
  });

  it('replaces known secrets and client tokens inside longer strings, and in keys', () => {
    let secrets = ['s3cr3t-value'];
    const r = createRedactor({ secretValues: () => secrets, clientTokens: () => ['gh-client-token-1'] });
    expect(r.redactValue({ cmd: 'curl -u me:s3cr3t-value https://x', list: ['a gh-client-token-1 b'], 's3cr3t-value': 1 })).toEqual({
      cmd: `curl -u me:${REDACTED} https://x`,
      list: [`a ${REDACTED} b`],
      [REDACTED]: 1,
    });
    // The set is read on every call: a secret added later is covered at once.
    secrets = ['s3cr3t-value', 'new-secret-2'];
    expect(r.redactText('new-secret-2 and s3cr3t-value')).toBe(`${REDACTED} and ${REDACTED}`);
  });

  it('replaces the longer of two overlapping secrets whole', () => {
    const r = createRedactor({ secretValues: () => ['abcd', 'abcdefgh'] });
    expect(r.redactText('xabcdefghx')).toBe(`x${REDACTED}x`);
  });

  it('hides bearer credentials quoted in free text', () => {
    expect(createRedactor().redactText('401 for header Authorization: Bearer eyJhbGciOi.x-y_z')).toBe(
      `401 for header Authorization: Bearer ${REDACTED}`,
    );
  });

  it('accepts extra key patterns as globs and regular expressions', () => {
    const r = createRedactor({ extraKeys: ['ssn', 'iban*', /^pin$/i] });
    expect(r.redactValue({ ssn: '1', IBAN_number: '2', PIN: '3', pinned: '4', path: 'a/b' })).toEqual({
      ssn: REDACTED,
      IBAN_number: REDACTED,
      PIN: REDACTED,
      pinned: '4',
      path: 'a/b',
    });
  });
});

describe('truncation', () => {
  it('keeps small values structured and cuts big ones with a byte count', () => {
    expect(truncateValue({ a: 1 }, 100)).toEqual({ a: 1 });
    const big = { data: 'x'.repeat(1000) };
    const cut = truncateValue(big, 100) as string;
    const total = Buffer.byteLength(JSON.stringify(big));
    expect(cut.startsWith('{"data":"xxx')).toBe(true);
    expect(cut).toContain(`…[truncated ${total - 100} bytes]`);
  });

  it('never cuts inside a multi-byte character', () => {
    const cut = truncateText('é'.repeat(100), 51);
    expect(cut).toBe(`${'é'.repeat(25)}…[truncated 150 bytes]`);
  });
});

describe('redaction in the store', () => {
  it('a known secret and a client token never reach the disk, the stream, a query or an export', async () => {
    const dir = await scratch.dir();
    const secret = 'sk-live-4f9a8b7c6d5e';
    const token = 'gh_client_tok_0123456789';
    const store = await scratch.open({
      dir,
      redactor: createRedactor({ secretValues: () => [secret], clientTokens: () => [token] }),
    });
    const live: string[] = [];
    store.subscribe((event) => live.push(JSON.stringify(event)));
    store.record(
      call({
        args: { query: `use ${secret} please`, headers: { authorization: `Bearer ${token}` }, apiKey: 'plain-key-value' },
        preview: { content: [{ type: 'text', text: `result mentions ${secret}` }] },
        error: { code: -32000, message: `backend said: bad key ${secret}` },
        target: `https://example.com/?key=${secret}`,
        client: { userAgent: `agent ${token}` },
      }),
    );
    store.record({ kind: 'lifecycle', server: 'files', event: 'error', error: { message: `spawn failed with env ${secret}` } });
    await store.flush();

    const disk = await allFileText(dir);
    const page = JSON.stringify(await store.query({}));
    const jsonl = await collect(store.export({}, 'jsonl'));
    const csv = await collect(store.export({}, 'csv'));
    for (const text of [disk, page, jsonl, csv, live.join('\n')]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(token);
      expect(text).not.toContain('plain-key-value');
      expect(text).toContain(REDACTED);
    }
    // What is not secret is still there to read.
    expect(disk).toContain('use [REDACTED] please');
    expect(disk).toContain('backend said: bad key [REDACTED]');
  });

  it('cuts large arguments at the configured size with a marker, after redaction', async () => {
    const dir = await scratch.dir();
    const store = await scratch.open({ dir, maxArgsBytes: 200, maxPreviewBytes: 40 });
    store.record(call({ args: { password: 'p'.repeat(50), blob: 'b'.repeat(10_000) }, preview: 'r'.repeat(500) }));
    const [event] = (await store.query({})).items;
    expect(typeof event!.args).toBe('string');
    expect(event!.args as string).toMatch(/^\{"password":"\[REDACTED\]","blob":"b+…\[truncated \d+ bytes\]$/);
    expect(Buffer.byteLength((event!.args as string).split('…')[0]!)).toBe(200);
    expect(event!.preview).toBe(`${'r'.repeat(40)}…[truncated 460 bytes]`);
  });
});
