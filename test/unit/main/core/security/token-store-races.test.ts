/**
 * TokenStore against the interleavings a loaded machine produces: reads of tokens.json that
 * predate a write, `gatehouse tokens revoke` writing while the gateway flushes, and close()
 * arriving just as the lastUsedAt timer fires. File reads are held or replayed through a hook.
 */
import { mkdtemp, readdir, readFile as realReadFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** When set, reads of tokens.json go through it (once: it clears itself). */
let readHook: ((file: string, read: () => Promise<string>) => Promise<string>) | undefined;
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const original = actual.readFile as (...args: unknown[]) => Promise<unknown>;
  const readFile = ((file: unknown, ...rest: unknown[]) => {
    const hook = readHook;
    if (!hook || typeof file !== 'string' || !file.endsWith('tokens.json')) return original(file, ...rest);
    readHook = undefined;
    return hook(file, () => original(file, 'utf8') as Promise<string>);
  }) as typeof actual.readFile;
  return { ...actual, readFile, default: { ...actual, readFile } };
});
const { TokenStore, TOKENS_FILE } = await import('../../../../../main/core/security/token-store.js');

let dir: string;
const noEnv = { env: {} };
const tokensText = (): Promise<string> => realReadFile(path.join(dir, TOKENS_FILE), 'utf8');

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-token-races-'));
});
afterEach(async () => {
  readHook = undefined;
  vi.useRealTimers();
  await rm(dir, { recursive: true, force: true });
});

describe('TokenStore under interleavings', () => {
  it('a read of the file from before a revocation here does not bring the token back', async () => {
    const store = await TokenStore.open(dir, noEnv);
    const { token, secret } = await store.create('doomed');
    const before = await tokensText();
    // The next read still sees the token (it opened the file before the revocation's rename).
    readHook = async () => before;
    await Promise.all([store.revoke(token.id), store.reload()]);
    await store.reload();
    expect(store.authenticate(secret)).toBeUndefined();
    await store.flush();
    expect(await tokensText()).not.toContain('doomed');
    await store.close();
  });

  it('gatehouse tokens revoke while the gateway flushes lastUsedAt: the revocation stays', async () => {
    const gateway = await TokenStore.open(dir, noEnv);
    const { token, secret } = await gateway.create('doomed');
    const cli = await TokenStore.open(dir, noEnv);
    gateway.authenticate(secret);
    // The flush's read of tokens.json takes a while; the revocation comes meanwhile.
    let flushReading!: () => void;
    const reading = new Promise<void>((resolve) => (flushReading = resolve));
    readHook = async (_file, read) => {
      const text = await read();
      flushReading();
      await new Promise((resolve) => setTimeout(resolve, 100));
      return text;
    };
    const flushing = gateway.flush();
    await reading;
    expect(await cli.revoke(token.id)).toBe('revoked');
    await flushing;
    await cli.close();
    expect(await tokensText()).not.toContain('doomed');
    await gateway.reload();
    expect(gateway.authenticate(secret)).toBeUndefined();
    await gateway.close();
    expect(await tokensText()).not.toContain('doomed');
  });

  it('close waits for a flush the timer started: nothing is written after it returns', async () => {
    const store = await TokenStore.open(dir, { ...noEnv, lastUsedFlushMs: 1 });
    const { secret } = await store.create('late');
    // Hold the timer's flush inside its read, so close() arrives while it is under way.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reading = false;
    readHook = async (_file, read) => {
      reading = true;
      await held;
      return read();
    };
    store.authenticate(secret);
    await expect.poll(() => reading).toBe(true);
    const closed = store.close();
    release();
    await closed;
    expect(JSON.parse(await tokensText()).tokens[0].lastUsedAt).toBeTypeOf('string');
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp') || name.endsWith('.lock'))).toEqual([]);
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
    expect(JSON.parse(await tokensText()).tokens[0].lastUsedAt).toBeTypeOf('string');
  });
});
