/**
 * Crash survival: a child process records events and acknowledges each one after `record()`
 * returned (as the gateway sends a response after recording), then gets SIGKILL mid-stream.
 * Every acknowledged event must be on disk when the store is opened again.
 *
 * The child runs the real store compiled to JavaScript (tsc into a temp dir), since plain Node
 * 20 cannot load TypeScript.
 */
import { fork, spawnSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditStore } from '../../../../../main/core/audit/audit-store.js';
import { verifyAuditDir } from '../../../../../main/core/audit/audit-verify.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');
let build: string;

const CHILD = `
import { AuditStore } from './main/core/audit/audit-store.js';
const store = await AuditStore.open({ dir: process.argv[2] });
let n = 0;
const next = () => {
  // A burst per turn, like a busy gateway; each acknowledged only after record() returned.
  for (let i = 0; i < 5; i++) {
    const event = store.record({ kind: 'request', server: 'files', method: 'tools/call', target: 'read_file', args: { n }, outcome: 'ok' });
    process.send({ id: event.id, n: n++ });
  }
  setImmediate(next);
};
next();
`;

beforeAll(async () => {
  build = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-audit-build-'));
  const tsc = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules/typescript/bin/tsc'),
      '--ignoreConfig',
      '--outDir', build,
      '--rootDir', root,
      '--module', 'nodenext',
      '--moduleResolution', 'nodenext',
      '--target', 'es2023',
      '--types', 'node',
      '--skipLibCheck',
      path.join(root, 'main/core/audit/audit-store.ts'),
    ],
    { encoding: 'utf8' },
  );
  expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
  await writeFile(path.join(build, 'package.json'), '{"type":"module"}');
  await symlink(path.join(root, 'node_modules'), path.join(build, 'node_modules'), 'dir');
  await writeFile(path.join(build, 'child.mjs'), CHILD);
});

afterAll(async () => {
  await rm(build, { recursive: true, force: true });
});

describe('crash survival', () => {
  it('keeps every acknowledged event after kill -9', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-audit-crash-'));
    const acked = new Map<string, number>();
    const child = fork(path.join(build, 'child.mjs'), [dir], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.on('message', (message: { id: string; n: number }) => {
        acked.set(message.id, message.n);
        if (acked.size === 2_000) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', () => reject(new Error(`child exited before the kill: ${stderr}`)));
    });
    expect(await exited).toBe('SIGKILL');

    const store = await AuditStore.open({ dir, readOnly: true });
    const ids = new Set<string>();
    for await (const chunk of store.export({}, 'jsonl')) {
      for (const line of chunk.trimEnd().split('\n')) ids.add((JSON.parse(line) as { id: string }).id);
    }
    await store.close();
    const missing = [...acked.keys()].filter((id) => !ids.has(id));
    expect(missing).toEqual([]);
    expect(ids.size).toBeGreaterThanOrEqual(acked.size);
    expect((await verifyAuditDir(dir)).ok).toBe(true);
    await rm(dir, { recursive: true, force: true });
  });
});
