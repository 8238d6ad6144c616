import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPlaintext } from '../../../../support/plaintext-scan.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-scan-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('findPlaintext', () => {
  it('finds needles in every file, recursively, in plain and encoded forms', async () => {
    const secret = 'ghp_0123456789abcdef';
    await mkdir(path.join(dir, 'audit', '2030'), { recursive: true });
    await writeFile(path.join(dir, 'registry.json'), JSON.stringify({ headers: { Authorization: `Bearer ${secret}` } }));
    await writeFile(path.join(dir, 'audit', '2030', 'seg.ndjson'), `{"x":1}\n{"token":"${secret}"}\n`);
    await writeFile(path.join(dir, 'win.log'), Buffer.from(`value=${secret}`, 'utf16le'));
    await writeFile(path.join(dir, 'b64.bin'), Buffer.from(secret).toString('base64'));
    await writeFile(path.join(dir, 'hex.txt'), Buffer.from(secret).toString('hex').toUpperCase());
    await writeFile(path.join(dir, 'clean.json'), '{"ok":true}');
    await writeFile(path.join(dir, 'partial.txt'), secret.slice(0, 10));

    const hits = await findPlaintext(dir, [secret, 'not-present', '']);
    expect(hits).toEqual([
      { file: 'audit/2030/seg.ndjson', needle: secret, encoding: 'utf8' },
      { file: 'b64.bin', needle: secret, encoding: 'base64' },
      { file: 'b64.bin', needle: secret, encoding: 'base64url' },
      { file: 'hex.txt', needle: secret, encoding: 'hex' },
      { file: 'registry.json', needle: secret, encoding: 'utf8' },
      { file: 'win.log', needle: secret, encoding: 'utf16le' },
    ]);
  });

  it('finds nothing in a clean directory', async () => {
    await writeFile(path.join(dir, 'a.json'), '{"Authorization":"Bearer ${secret:github}"}');
    expect(await findPlaintext(dir, ['ghp_real'])).toEqual([]);
  });
});
