import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigEntry } from '../../../../../shared/client-configs/types.js';
import { currentFingerprint, maskCredentials, previewEdit } from '../../../../../main/core/clients/install-preview.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const entry = (value: Record<string, unknown>): ConfigEntry => ({ format: 'json', paths: {}, container: ['mcpServers'], name: 'gatehouse', value });

describe('install preview', () => {
  it('masks credentials in the diff, and leaves references and placeholders readable', () => {
    const text = [
      '+  "Authorization": "Bearer ${env:GATEHOUSE_TOKEN}",',
      '   "X-Api-Key": "abc123secret",',
      '   "GATEHOUSE_TOKEN": "gth_realtokenvalue0123"',
      '   "GATEHOUSE_TOKEN": "<new client token>"',
      '   "headers": { "Authorization": "Bearer ghp_liveToken999" }',
      '   api_key = "toml-secret"',
      '   "url": "http://127.0.0.1:7420/mcp"',
    ].join('\n');
    const masked = maskCredentials(text);
    expect(masked).toContain('"Authorization": "Bearer ${env:GATEHOUSE_TOKEN}"');
    expect(masked).toContain('"<new client token>"');
    expect(masked).toContain('"url": "http://127.0.0.1:7420/mcp"');
    for (const secret of ['abc123secret', 'gth_realtokenvalue0123', 'ghp_liveToken999', 'toml-secret']) expect(masked).not.toContain(secret);
  });

  it('diffs a new file and an edit, with a fingerprint that changes with the file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-preview-'));
    dirs.push(dir);
    const file = path.join(dir, 'mcp.json');
    const created = await previewEdit(file, entry({ url: 'http://127.0.0.1:7420/mcp' }), 'install');
    expect(created).toMatchObject({ file, exists: false, changed: true });
    expect(created.diff).toContain('+    "gatehouse": {');
    expect(await currentFingerprint(file)).toBe(created.fingerprint);
    expect((await previewEdit(file, entry({}), 'remove')).changed).toBe(false);

    await writeFile(file, '{ "mcpServers": { "gatehouse": { "url": "http://127.0.0.1:7420/mcp" } } }\n');
    expect(await currentFingerprint(file)).not.toBe(created.fingerprint);
    const same = await previewEdit(file, entry({ url: 'http://127.0.0.1:7420/mcp' }), 'install');
    expect(same).toMatchObject({ exists: true, changed: false, diff: '' });
    const removal = await previewEdit(file, entry({}), 'remove');
    expect(removal.changed).toBe(true);
    expect(removal.diff).toMatch(/^-.*"gatehouse"/m);
  });
});
