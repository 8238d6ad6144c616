/**
 * Golden files: one per client, the whole generated output (snippet, where it goes, notes,
 * warnings, deep link, install entry) for the aggregate endpoint with default options.
 * `UPDATE_GOLDEN=1 npx vitest run test/unit/shared/client-configs` rewrites them; review the diff.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLIENT_IDS, generate, type GeneratedConfig } from '../../../../shared/client-configs/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const goldenDir = path.join(root, 'test/fixtures/golden/client-configs');
const EXT: Record<GeneratedConfig['language'], string> = { json: 'json', jsonc: 'jsonc', toml: 'toml', yaml: 'yaml', sh: 'sh', text: 'txt' };

/** The snippet first (as the client reads it), then everything else as JSON. */
function render(config: GeneratedConfig): string {
  const { snippet, ...rest } = config;
  return `${snippet}\n\n----- ${EXT[config.language]} above; generator output below -----\n${JSON.stringify(rest, null, 2)}\n`;
}

describe('client config golden files', () => {
  for (const client of CLIENT_IDS) {
    it(client, () => {
      const config = generate(client, { url: 'http://127.0.0.1:7420/mcp' });
      const file = path.join(goldenDir, `${client}.golden`);
      const actual = render(config);
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
        mkdirSync(goldenDir, { recursive: true });
        writeFileSync(file, actual);
      }
      expect(actual).toBe(readFileSync(file, 'utf8'));
    });
  }

  it('has a golden file for every client and no stale ones', () => {
    for (const client of CLIENT_IDS) expect(existsSync(path.join(goldenDir, `${client}.golden`))).toBe(true);
  });
});
