import { afterAll, afterEach, beforeAll, beforeEach, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type KeyvRedis from '@keyv/redis';
import { createClient, createKeyv, type Keyv } from '@keyv/redis';
import { CacheStore } from '../../src/store/cache-store.js';
import { JwksCacheEvents, type JwksCacheEventMap } from '../../src/observability/jwks-cache-events.js';
import type { JwksCacheModuleOptions } from '../../src/config/options.js';
import { describeWithRedis, startRedis, type TestRedis } from '../support/redis-server.js';

// Keys as `openssl rand -base64 32` and `openssl rand -hex 32` print them.
const INTEGRITY_KEY = 'aW50ZWdyaXR5LWtleS1vZi0zMi1yYW5kb20tYnl0ZXM=';
const KEY_ONE = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const KEY_TWO = 'ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=';
const TOKEN_TEXT = 'eyJhbGciOiJSUzI1NiJ9.secret-token-body.signature';
const ISSUER = 'https://idp.example.com/';

/** A plain client to look at (and tamper with) what is in Redis. */
const createAdminClient = (url: string) => createClient({ url, socket: { reconnectStrategy: false } });
type AdminClient = ReturnType<typeof createAdminClient>;

describeWithRedis('CacheStore with a real Redis', () => {
  let redis: TestRedis;
  let admin: AdminClient;
  const keyvs: Keyv[] = [];

  /**
   * A store as one app instance would have it: its own Redis connection. The bound on a shared-store
   * call is generous (2 s, a healthy local Redis answers in well under 1 ms) so that a busy machine
   * never turns a healthy call into a timeout; calls to a Redis known to be down fail at once anyway.
   */
  async function instance(
    options: Omit<JwksCacheModuleOptions, 'stores'> = {},
    events = new JwksCacheEvents(),
  ): Promise<CacheStore> {
    const keyv = createKeyv(redis.url);
    keyvs.push(keyv);
    const store = new CacheStore(
      { ...options, stores: [keyv], storeOptions: { timeout: 2_000, ...options.storeOptions } },
      events,
    );
    await store.onModuleInit();
    return store;
  }

  async function adminClient(): Promise<AdminClient> {
    const client = createAdminClient(redis.url);
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  async function reconnectAdmin(): Promise<void> {
    try {
      admin.destroy();
    } catch {
      // already closed by the crash
    }
    admin = await adminClient();
  }

  /** Waits (up to 10 s) until every instance's client noticed the crash (an in-flight command is a plain miss). */
  async function untilConnectionsLost(): Promise<void> {
    for (
      let attempt = 0;
      attempt < 1_000 &&
      keyvs.some((keyv) => ((keyv.store as KeyvRedis<unknown>).client as { isReady?: boolean }).isReady === true);
      attempt += 1
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async function rawEntry(key: string): Promise<{ value: Record<string, unknown> }> {
    return JSON.parse((await admin.get(key)) ?? 'null') as { value: Record<string, unknown> };
  }

  beforeAll(async () => {
    redis = await startRedis();
    admin = await adminClient();
  });

  afterAll(async () => {
    await Promise.all(keyvs.map((keyv) => keyv.disconnect().catch(() => undefined)));
    await admin.close().catch(() => undefined);
    await redis.stop();
  });

  beforeEach(async () => {
    if (!redis.running) await redis.restart();
    if (!admin.isReady) await reconnectAdmin();
    await admin.flushAll();
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('puts an in-memory L1 in front of Redis, under the readable prefix with hashed keys', async () => {
    const a = await instance();
    const b = await instance();
    const key = CacheStore.key('jwks', ISSUER);
    await a.set(key, { jwks: { keys: [] }, fetchedAt: 1 }, 60_000);

    expect(await b.get(key)).toEqual({ jwks: { keys: [] }, fetchedAt: 1 });
    expect(await b.get(key)).toEqual({ jwks: { keys: [] }, fetchedAt: 1 });
    expect(await a.get(key)).toEqual({ jwks: { keys: [] }, fetchedAt: 1 });

    expect(b.stats()).toMatchObject({ l2Hits: 1, l1Hits: 1, misses: 0, errors: 0, timeouts: 0 });
    expect(a.stats()).toMatchObject({ l1Hits: 1, l2Hits: 0 });
    const keys = await admin.keys('jwks-cache:v1:*');
    expect(keys).toEqual([key]);
    expect(key).toMatch(/^jwks-cache:v1:jwks:[A-Za-z0-9_-]{43}$/);
    expect(await admin.get(key)).not.toContain(ISSUER);
  });

  it('survives Redis being killed: calls resolve as misses, faults are counted and logged rate-limited; sharing resumes after restart', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const events = new JwksCacheEvents();
    const emitted: JwksCacheEventMap['store.error'][] = [];
    events.on('store.error', (payload) => emitted.push(payload));
    const a = await instance({}, events);
    const b = await instance();
    const before = CacheStore.key('token', 'before-the-crash');
    await a.set(before, { token: 'kept-in-l1' }, 60_000);

    await redis.kill();
    await untilConnectionsLost();
    const operations = 20;
    // Redis stays down through this loop: a call that waited for a reconnect (node-redis alone
    // would wait forever) would hang the test. Each one ends as a counted fault instead.
    for (let i = 0; i < operations / 2; i += 1) {
      expect(await a.get(CacheStore.key('token', `never-written-${i}`))).toBeUndefined();
      await a.set(CacheStore.key('token', `written-while-down-${i}`), { token: 'value-while-down' }, 60_000);
    }
    const faults = a.stats();
    expect(faults.errors + faults.timeouts).toBe(operations);
    expect(faults.misses).toBe(operations / 2);
    expect(emitted).toHaveLength(operations);
    expect(emitted.every(({ error }) => error.code.startsWith('ERR_STORE'))).toBe(true);
    // The L1 still answers while Redis is down.
    expect(await a.get(before)).toEqual({ token: 'kept-in-l1' });
    // Rate-limited: one line per operation, and at most one per instance for connection errors.
    const lines = warn.mock.calls.map((call) => String(call[0]));
    expect(lines.filter((line) => line.startsWith('Cache store get'))).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith('Cache store set'))).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith('Shared cache store reported')).length).toBeLessThanOrEqual(
      keyvs.length,
    );
    expect(lines.join('\n')).not.toContain('value-while-down');

    await redis.restart();
    await reconnectAdmin();
    // A kind shared without an integrityKey (a discovery entry, naming URLs, would stay in process).
    const shared = CacheStore.key('jwks', 'after-restart');
    let seenByB: unknown;
    for (let attempt = 0; attempt < 100 && seenByB === undefined; attempt += 1) {
      await a.set(shared, { jwks: { keys: [] } }, 60_000);
      seenByB = await b.get(shared, { skipL1: true });
      if (seenByB === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seenByB).toEqual({ jwks: { keys: [] } });

    const afterRecovery = a.stats();
    for (let i = 0; i < 5; i += 1) {
      await a.set(CacheStore.key('token', `after-${i}`), { token: 'x' }, 60_000);
      expect(await b.get(CacheStore.key('token', `after-${i}`))).toEqual({ token: 'x' });
    }
    expect(a.stats().errors).toBe(afterRecovery.errors);
    expect(a.stats().timeouts).toBe(afterRecovery.timeouts);
  });

  it('rejects garbage and entries with a tampered HMAC, and heals them with the next write', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const writer = await instance({ integrityKey: INTEGRITY_KEY });
    const reader = await instance({ integrityKey: INTEGRITY_KEY });
    const key = CacheStore.key('jwks', ISSUER);
    const good = { jwks: { keys: [{ kty: 'EC', kid: 'good' }] } };
    await writer.set(key, good, 60_000);

    await admin.set(key, 'not json at all');
    expect(await reader.get(key, { skipL1: true })).toBeUndefined();

    await admin.set(key, JSON.stringify({ value: { surprise: true }, expires: null }));
    expect(await reader.get(key, { skipL1: true })).toBeUndefined();

    await writer.set(key, good, 60_000);
    const tampered = await rawEntry(key);
    tampered.value.value = { jwks: { keys: [{ kty: 'EC', kid: 'attacker' }] } };
    await admin.set(key, JSON.stringify(tampered));
    expect(await reader.get(key, { skipL1: true })).toBeUndefined();

    const unsigned = await rawEntry(key);
    delete unsigned.value.mac;
    await admin.set(key, JSON.stringify(unsigned));
    expect(await reader.get(key, { skipL1: true })).toBeUndefined();

    expect(reader.stats()).toMatchObject({ rejectedEntries: 4, l2Hits: 0, errors: 0 });

    await writer.set(key, good, 60_000);
    expect(await reader.get(key, { skipL1: true })).toEqual(good);
    expect(reader.stats()).toMatchObject({ rejectedEntries: 4, l2Hits: 1 });
  });

  it('does not accept an entry signed for another key (HMAC binds the key)', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const store = await instance({ integrityKey: INTEGRITY_KEY });
    const attackerIssuer = CacheStore.key('jwks', 'https://attacker.example/');
    const victim = CacheStore.key('jwks', ISSUER);
    await store.set(attackerIssuer, { jwks: { keys: [{ kid: 'attacker' }] } }, 60_000);
    await admin.set(victim, (await admin.get(attackerIssuer))!);

    expect(await store.get(victim)).toBeUndefined();
    expect(store.stats().rejectedEntries).toBe(1);
  });

  it('shares a discovery entry only with integrityKey, and a confidential one only encrypted (in process otherwise)', async () => {
    const discovery = CacheStore.key('discovery', ISSUER);
    const secretSet = CacheStore.key('jwks', 'hs-issuer');
    const plain = await instance();
    await plain.set(discovery, { document: { issuer: ISSUER } }, 60_000);
    await plain.set(secretSet, { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, 60_000, { confidential: true });
    expect(await admin.get(discovery)).toBeNull();
    expect(await admin.get(secretSet)).toBeNull();
    // In process for the whole ttl, not only the L1's short one.
    expect(await plain.get(discovery)).toEqual({ document: { issuer: ISSUER } });
    expect(plain.shares(discovery)).toBe(false);
    expect(plain.shares(secretSet, { confidential: true })).toBe(false);

    const keyed = await instance({ integrityKey: INTEGRITY_KEY, encryptionKey: KEY_ONE });
    await keyed.set(discovery, { document: { issuer: ISSUER } }, 60_000);
    await keyed.set(secretSet, { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, 60_000, { confidential: true });
    expect((await rawEntry(discovery)).value).toHaveProperty('mac');
    expect((await rawEntry(secretSet)).value).toMatchObject({ enc: { kid: 'default' } });
    expect(await admin.get(secretSet)).not.toContain('c2VjcmV0');
    const peer = await instance({ integrityKey: INTEGRITY_KEY, encryptionKey: KEY_ONE });
    expect(await peer.get(secretSet, { confidential: true })).toEqual({
      jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] },
    });

    // A confidential entry in clear was not written by us: rejected, even with a valid HMAC.
    const clearWithMac = await instance({ integrityKey: INTEGRITY_KEY });
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await clearWithMac.set(secretSet, { jwks: { keys: [{ kty: 'oct', k: 'YXR0YWNrZXI' }] } }, 60_000);
    expect((await rawEntry(secretSet)).value).toMatchObject({ mac: expect.any(String), value: expect.any(Object) });
    expect(await peer.get(secretSet, { confidential: true, skipL1: true })).toBeUndefined();
    expect(peer.stats().rejectedEntries).toBe(1);
  });

  it('encrypts token entries: no token text in Redis, bound to their key, and keys rotate', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const oldInstance = await instance({ encryptionKey: { one: KEY_ONE } });
    const rotated = await instance({ encryptionKey: { two: KEY_TWO, one: KEY_ONE } });
    const key = CacheStore.key('token', 'inventory', 'tenant-a');
    const entry = { token: TOKEN_TEXT, expiresAt: Date.now() + 60_000, obtainedAt: Date.now() };
    await oldInstance.set(key, entry, 60_000);

    const raw = (await admin.get(key))!;
    expect(raw).not.toContain('secret-token-body');
    expect(raw).not.toContain(TOKEN_TEXT.slice(0, 20));
    expect((await rawEntry(key)).value).toMatchObject({ v: 1, kind: 'token', enc: { kid: 'one' } });

    // A key set is not encrypted (it is public), only tokens are.
    await oldInstance.set(CacheStore.key('jwks', ISSUER), { jwks: { keys: [] } }, 60_000);
    expect((await rawEntry(CacheStore.key('jwks', ISSUER))).value).toHaveProperty('value');

    // The old kid still decrypts on an instance that encrypts with the new key.
    expect(await rotated.get(key)).toEqual(entry);
    await rotated.set(key, entry, 60_000);
    expect((await rawEntry(key)).value).toMatchObject({ enc: { kid: 'two' } });
    // An instance that does not know the new key cannot read it: rejected, not thrown.
    expect(await oldInstance.get(key, { skipL1: true })).toBeUndefined();
    expect(oldInstance.stats().rejectedEntries).toBe(1);

    // The cache key is the associated data: a ciphertext copied under another tenant's key fails.
    const otherTenant = CacheStore.key('token', 'inventory', 'tenant-b');
    await admin.set(otherTenant, (await admin.get(key))!);
    expect(await rotated.get(otherTenant)).toBeUndefined();

    // With encryption on, a token entry in clear (written by an attacker) is refused.
    const plain = await instance();
    await plain.set(otherTenant, { token: 'injected' }, 60_000);
    expect(await rotated.get(otherTenant)).toBeUndefined();
    expect(rotated.stats().rejectedEntries).toBe(2);
  });

  it('takes a fleet-wide lock with SET NX PX that only its owner releases', async () => {
    const a = await instance();
    const b = await instance();
    const key = CacheStore.key('jwks', ISSUER);

    expect(await a.lock(key, 10_000)).toBe(true);
    expect(await b.lock(key, 10_000)).toBe(false);
    expect(await admin.keys('jwks-cache:v1:lock:*')).toEqual(['jwks-cache:v1:lock:jwks:' + key.split(':').pop()]);
    await b.unlock(key);
    expect(await b.lock(key, 10_000)).toBe(false);
    await a.unlock(key);
    expect(await b.lock(key, 10_000)).toBe(true);
    await b.unlock(key);

    expect(await a.lock(key, 30)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await b.lock(key, 10_000)).toBe(true);
    await a.unlock(key);
    expect(await a.lock(key, 10_000)).toBe(false);
    await b.unlock(key);
  });

  it('lets one of several instances load while the others wait for its entry (withLock + waitFor)', async () => {
    const stores = await Promise.all([instance(), instance(), instance(), instance()]);
    const key = CacheStore.key('jwks', ISSUER);
    let loads = 0;
    const load = async (store: CacheStore): Promise<{ loadedBy: number }> => {
      loads += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
      const value = { loadedBy: stores.indexOf(store) };
      await store.set(key, value, 60_000);
      return value;
    };
    const obtain = async (store: CacheStore): Promise<{ loadedBy: number }> => {
      const cached = await store.get<{ loadedBy: number }>(key);
      if (cached !== undefined) return cached;
      const outcome = await store.withLock(
        key,
        async () => (await store.get<{ loadedBy: number }>(key, { skipL1: true })) ?? load(store),
      );
      if (outcome.acquired) return outcome.result;
      return (await store.waitFor<{ loadedBy: number }>(key, { timeout: 20_000, interval: 10 })) ?? load(store);
    };

    const results = await Promise.all(stores.map(obtain));

    expect(loads).toBe(1);
    expect(new Set(results.map((result) => result.loadedBy)).size).toBe(1);
  });

  it('falls back to "acquired" when Redis is down, so every instance can still fetch for itself', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const a = await instance();
    await redis.kill();
    await untilConnectionsLost();
    try {
      expect(await a.lock(CacheStore.key('jwks', ISSUER), 10_000)).toBe(true);
      expect(await a.waitFor(CacheStore.key('jwks', ISSUER), { timeout: 1_000, interval: 10 })).toBeUndefined();
      expect(a.stats().errors + a.stats().timeouts).toBe(2);
    } finally {
      await redis.restart();
      await reconnectAdmin();
    }
  });
});
