import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// Spy on the real timingSafeEqual, to see that authentication compares against every token.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});
const crypto = await import('node:crypto');
const { TokenStore, TOKENS_FILE } = await import('../../../../../main/core/security/token-store.js');

let dir: string;
const noEnv = { env: {} };

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-tokens-'));
  vi.mocked(crypto.timingSafeEqual).mockClear();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tokensFile(): Promise<string> {
  return readFile(path.join(dir, TOKENS_FILE), 'utf8');
}

describe('TokenStore', () => {
  it('creates a token, returns its secret once and keeps only the hash on disk (0600)', async () => {
    const store = await TokenStore.open(dir, noEnv);
    const { token, secret } = await store.create('laptop');
    expect(secret).toMatch(/^gth_[A-Za-z0-9_-]{43}$/);
    expect(token).toMatchObject({ name: 'laptop', kind: 'client', acl: { servers: '*' }, ephemeral: false });
    expect(JSON.stringify(store.list())).not.toContain(secret);
    expect(JSON.stringify(store.list())).not.toContain('hash');

    const text = await tokensFile();
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice(4));
    expect(text).toContain(crypto.createHash('sha256').update(secret).digest('hex'));
    if (process.platform !== 'win32') expect((await stat(path.join(dir, TOKENS_FILE))).mode & 0o777).toBe(0o600);

    const reopened = await TokenStore.open(dir, noEnv);
    expect(reopened.authenticate(secret)?.id).toBe(token.id);
  });

  it('makes a different secret every time', async () => {
    const store = await TokenStore.open(dir, noEnv);
    const a = await store.create('a');
    const b = await store.create('b');
    expect(a.secret).not.toBe(b.secret);
    expect(a.token.id).not.toBe(b.token.id);
  });

  it('authenticates the right token and refuses unknown, empty and missing ones', async () => {
    const store = await TokenStore.open(dir, noEnv);
    const client = await store.create('client');
    const admin = await store.create('ops', 'admin');
    expect(store.authenticate(client.secret)?.name).toBe('client');
    expect(store.authenticate(admin.secret)?.kind).toBe('admin');
    expect(store.authenticate(client.secret + 'x')).toBeUndefined();
    expect(store.authenticate('gth_' + 'A'.repeat(43))).toBeUndefined();
    expect(store.authenticate('')).toBeUndefined();
    expect(store.authenticate(undefined)).toBeUndefined();
  });

  it('compares with timingSafeEqual against every token, even after a match', async () => {
    const store = await TokenStore.open(dir, noEnv);
    const first = await store.create('first');
    await store.create('second');
    await store.create('third');
    vi.mocked(crypto.timingSafeEqual).mockClear();
    expect(store.authenticate(first.secret)?.name).toBe('first');
    expect(crypto.timingSafeEqual).toHaveBeenCalledTimes(3);
    vi.mocked(crypto.timingSafeEqual).mockClear();
    expect(store.authenticate('nope')).toBeUndefined();
    expect(crypto.timingSafeEqual).toHaveBeenCalledTimes(3);
  });

  it('revokes: the token stops working at once, the event fires, env tokens cannot be revoked', async () => {
    const store = await TokenStore.open(dir, { env: { GATEHOUSE_TOKEN: 'env-secret' } });
    const { token, secret } = await store.create('phone');
    const revoked: string[] = [];
    store.onDidRevoke((t) => revoked.push(t.id));
    const pending = store.revoke(token.id);
    expect(store.authenticate(secret)).toBeUndefined();
    expect(await pending).toBe('revoked');
    expect(revoked).toEqual([token.id]);
    expect(await store.revoke(token.id)).toBe('unknown');
    expect(await store.revoke('env-client')).toBe('ephemeral');
    expect((await TokenStore.open(dir, noEnv)).list()).toEqual([]);
  });

  it('holds env tokens in memory only: full-access client and admin, never written', async () => {
    const env = { GATEHOUSE_TOKEN: 'client-from-env-123', GATEHOUSE_ADMIN_TOKEN: 'admin-from-env-456' };
    const store = await TokenStore.open(dir, { env });
    expect(store.list()).toEqual([
      expect.objectContaining({ name: 'env:GATEHOUSE_TOKEN', kind: 'client', acl: { servers: '*' }, ephemeral: true }),
      expect.objectContaining({ name: 'env:GATEHOUSE_ADMIN_TOKEN', kind: 'admin', ephemeral: true }),
    ]);
    expect(store.authenticate(env.GATEHOUSE_TOKEN)?.kind).toBe('client');
    expect(store.authenticate(env.GATEHOUSE_ADMIN_TOKEN)?.kind).toBe('admin');
    expect(await store.ensureAdminToken()).toBeUndefined();
    await store.create('other');
    await store.close();
    const text = await tokensFile();
    expect(text).not.toContain('env:');
    expect(text).not.toContain(crypto.createHash('sha256').update(env.GATEHOUSE_TOKEN).digest('hex'));
    expect(JSON.parse(text).tokens).toHaveLength(1);
  });

  it('ensureAdminToken creates one admin token once', async () => {
    const store = await TokenStore.open(dir, noEnv);
    const secret = await store.ensureAdminToken();
    expect(secret).toMatch(/^gth_/);
    expect(store.authenticate(secret)?.kind).toBe('admin');
    expect(await store.ensureAdminToken()).toBeUndefined();
    const reopened = await TokenStore.open(dir, noEnv);
    expect(await reopened.ensureAdminToken()).toBeUndefined();
    expect(reopened.list().filter((t) => t.kind === 'admin')).toHaveLength(1);
  });

  it('records lastUsedAt in memory at once and on disk at most once per interval, and on close', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const store = await TokenStore.open(dir, { ...noEnv, now: () => now, lastUsedFlushMs: 60_000 });
    const { token, secret } = await store.create('busy');
    const before = await tokensFile();
    now = new Date('2030-01-01T00:00:05Z');
    for (let i = 0; i < 100; i++) store.authenticate(secret);
    expect(store.get(token.id)?.lastUsedAt).toBe('2030-01-01T00:00:05.000Z');
    expect(await tokensFile()).toBe(before);
    await store.close();
    expect(JSON.parse(await tokensFile()).tokens[0].lastUsedAt).toBe('2030-01-01T00:00:05.000Z');
  });

  it('flushes lastUsedAt by itself after the interval', async () => {
    const store = await TokenStore.open(dir, { ...noEnv, lastUsedFlushMs: 10 });
    const { secret } = await store.create('soon');
    store.authenticate(secret);
    await expect.poll(async () => JSON.parse(await tokensFile()).tokens[0].lastUsedAt).toBeTypeOf('string');
    await store.close();
  });

  it('validates names and ACLs', async () => {
    const store = await TokenStore.open(dir, noEnv);
    await store.create('dup');
    await expect(store.create('dup')).rejects.toThrow(/already exists/);
    await expect(store.create(' ')).rejects.toThrow(/empty/);
    await expect(store.create('env:GATEHOUSE_TOKEN')).rejects.toThrow(/reserved/);
    await expect(store.create('x', 'client', { servers: ['bad name'] })).rejects.toThrow(/invalid token ACL/);
    await expect(store.create('y', 'client', { servers: '*', toolFilter: { block: [''] } })).rejects.toThrow(/invalid token ACL/);
    const limited = await store.create('limited', 'client', { servers: ['github'], toolFilter: { block: ['delete_*'] } });
    expect(limited.token.acl).toEqual({ servers: ['github'], toolFilter: { block: ['delete_*'] } });
  });

  it('backs up a corrupt tokens.json and starts with no stored tokens (fails closed)', async () => {
    await writeFile(path.join(dir, TOKENS_FILE), '{ not json');
    const store = await TokenStore.open(dir, noEnv);
    expect(store.list()).toEqual([]);
    expect(store.warnings[0]).toMatch(/not valid JSON; copied it to tokens\.json\.backup-/);
  });

  it('catches up with another process: its new tokens work, its revocations fire onDidRevoke', async () => {
    const gateway = await TokenStore.open(dir, noEnv);
    const kept = await gateway.create('kept');
    const doomed = await gateway.create('doomed');
    const cli = await TokenStore.open(dir, noEnv);
    const added = await cli.create('from-cli');
    expect(await cli.revoke(doomed.token.id)).toBe('revoked');
    await cli.close();

    const revoked: string[] = [];
    gateway.onDidRevoke((t) => revoked.push(t.name));
    expect(gateway.authenticate(added.secret)).toBeUndefined();
    await gateway.reload();
    expect(gateway.authenticate(added.secret)?.name).toBe('from-cli');
    expect(gateway.authenticate(doomed.secret)).toBeUndefined();
    expect(gateway.authenticate(kept.secret)?.name).toBe('kept');
    expect(revoked).toEqual(['doomed']);
    // A flush of lastUsedAt does not bring the revoked token back.
    await gateway.flush();
    expect(await tokensFile()).not.toContain('doomed');
    await gateway.close();
  });

  it('a re-read that overlaps a new token being written does not drop it', async () => {
    const gateway = await TokenStore.open(dir, noEnv);
    const creating = gateway.create('new');
    // The security poll fires while the create's write is still on its way to the disk.
    await gateway.reload();
    const { secret } = await creating;
    expect(gateway.authenticate(secret)?.name).toBe('new');
    await gateway.flush();
    const elsewhere = await TokenStore.open(dir, noEnv);
    expect(elsewhere.list().map((t) => t.name)).toEqual(['new']);
    await elsewhere.close();
    await gateway.close();
  });

  it('a re-read that read the file before a revocation landed does not bring the token back', async () => {
    const gateway = await TokenStore.open(dir, noEnv);
    const { token, secret } = await gateway.create('revoked-soon');
    const { PrivateJsonFile } = await import('../../../../../main/core/security/private-file.js');
    const realRead = PrivateJsonFile.prototype.read;
    const before = await realRead.call(new PrivateJsonFile(path.join(dir, TOKENS_FILE)));
    // Reads and writes of the file take its lock, so no read overlaps the revocation's write; the
    // worst left is a read that still sees the file as it was before (it opened it just before).
    const read = vi.spyOn(PrivateJsonFile.prototype, 'read').mockImplementationOnce(async () => before);
    const revoking = gateway.revoke(token.id);
    const rereading = gateway.reload();
    await Promise.all([revoking, rereading]);
    read.mockRestore();
    expect(gateway.authenticate(secret)).toBeUndefined();
    expect(gateway.list().map((t) => t.name)).not.toContain('revoked-soon');
    await gateway.close();
  });

  it('keeps a session admin token in memory only', async () => {
    const store = await TokenStore.open(dir, { env: {}, sessionAdminToken: { name: 'desktop app (this run)', secret: 'session-secret-123' } });
    expect(store.authenticate('session-secret-123')).toMatchObject({ kind: 'admin', ephemeral: true, name: 'desktop app (this run)' });
    expect(store.hasToken('admin')).toBe(true);
    await store.create('other');
    await store.close();
    expect(await tokensFile()).not.toContain('desktop app');
  });

  it('inMemory holds the environment tokens and writes nothing', async () => {
    const store = TokenStore.inMemory({ env: { GATEHOUSE_TOKEN: 'client-secret', GATEHOUSE_ADMIN_TOKEN: 'admin-secret' } });
    expect(store.authenticate('client-secret')).toMatchObject({ kind: 'client', ephemeral: true });
    expect(store.authenticate('admin-secret')).toMatchObject({ kind: 'admin', ephemeral: true });
    await store.create('extra');
    await store.reload();
    await store.close();
    await expect(stat(path.join(dir, TOKENS_FILE))).rejects.toThrow();
  });
});
