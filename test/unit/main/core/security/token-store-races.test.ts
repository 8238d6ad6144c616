/**
 * TokenStore against the interleavings a loaded machine produces: a re-read of tokens.json that
 * overlaps a local write, and close() arriving just as the lastUsedAt timer fires.
 */
import { mkdtemp, readFile as realReadFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** When set, file reads go through it (to hold a read that started before a write landed). */
let readHook: ((file: string) => Promise<string>) | undefined;
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const readFile = ((file: string, ...rest: unknown[]) =>
    readHook && typeof file === 'string' ? readHook(file) : (actual.readFile as (...args: unknown[]) => Promise<unknown>)(file, ...rest)) as typeof actual.readFile;
  return { ...actual, readFile, default: { ...actual, readFile } };
});
const { TokenStore, TOKENS_FILE } = await import('../../../../../main/core/security/token-store.js');

let dir: string;
const noEnv = { env: {} };

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-token-races-'));
});
afterEach(async () => {
  readHook = undefined;
  vi.useRealTimers();
  await rm(dir, { recursive: true, force: true });
});

describe('TokenStore under interleavings', () => {
  it('a re-read that read the file before a revocation landed does not bring the token back', async () => {
    const store = await TokenStore.open(dir, noEnv);
    const { token, secret } = await store.create('doomed');
    const before = await realReadFile(path.join(dir, TOKENS_FILE), 'utf8');
    // The security poll's read opened tokens.json before the revocation's rename, and ends after it.
    let revoked!: Promise<unknown>;
    readHook = async () => {
      await revoked;
      return before;
    };
    revoked = store.revoke(token.id);
    await Promise.all([revoked, store.reload()]);
    readHook = undefined;
    expect(store.authenticate(secret)).toBeUndefined();
    await store.flush();
    expect(await realReadFile(path.join(dir, TOKENS_FILE), 'utf8')).not.toContain('doomed');
    await store.close();
  });

  it('close() that arrives as the lastUsedAt timer fires waits for that write', async () => {
    const store = await TokenStore.open(dir, { ...noEnv, lastUsedFlushMs: 50 });
    const { secret } = await store.create('busy');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    store.authenticate(secret);
    // The timer's flush and close() start in the same turn.
    vi.advanceTimersByTime(50);
    const closed = store.close();
    vi.useRealTimers();
    await closed;
    expect(JSON.parse(await realReadFile(path.join(dir, TOKENS_FILE), 'utf8')).tokens[0].lastUsedAt).toBeTypeOf('string');
  });
});
