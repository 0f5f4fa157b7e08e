import { afterAll, afterEach, beforeAll, beforeEach, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { createClient, createKeyv, type Keyv } from '@keyv/redis';
import { exportJWK, generateKeyPair } from 'jose';
import { generateAttackerKey, LocalIssuer } from '@jwks-cache/testing';
import {
  JwksCacheEvents,
  JwksCacheModule,
  JwksProvider,
  TokenCacheService,
  type JwksCacheModuleOptions,
} from '../../src/index.js';
import { CacheStore } from '../../src/store/index.js';
import { describeWithRedis, startRedis, type TestRedis } from '../support/redis-server.js';

const CLIENT = { clientId: 'orders-service', clientSecret: 'orders-service-secret-value' };
// Keys as `openssl rand -base64 32` prints them (fixed, so a failure can be replayed).
const INTEGRITY_KEY = 'yWjlhSsrxyfiIq1L/r4nJ5c13gszrdYQpfRQEPzVJA0=';
const ENCRYPTION_KEY = 'ZW5jcnlwdGlvbi1rZXktb2YtMzItcmFuZG9tLWJ5dGU=';
const HOUR_MS = 3_600_000;
/**
 * The bound on one Redis call in these tests. The default (100 ms) is wall time: on a busy machine
 * a call outlives it, the store treats it as a fault (a miss, by design) and the instance fetches
 * for itself — so a test counting requests would depend on the machine's speed. Here a call is
 * never abandoned; the Redis-kill test sets the default back, as faults are its subject.
 */
const PATIENT_STORE = { timeout: 20_000 };
/** The token and key-set requests may take as long (their fleet locks last twice that). */
const PATIENT_REQUEST_MS = 20_000;

const createAdminClient = (url: string) => createClient({ url, socket: { reconnectStrategy: false } });
type AdminClient = ReturnType<typeof createAdminClient>;

/** One app instance: its own Nest module and its own Redis connection. */
interface Instance {
  provider: JwksProvider;
  tokens: TokenCacheService;
  store: CacheStore;
  events: JwksCacheEvents;
}

describeWithRedis('a fleet of instances sharing Redis', () => {
  let redis: TestRedis;
  let admin: AdminClient;
  let idp: LocalIssuer;
  const modules: TestingModule[] = [];
  const keyvs: Keyv[] = [];

  async function startInstance(extra: Partial<JwksCacheModuleOptions> = {}): Promise<Instance> {
    const keyv = createKeyv(redis.url);
    keyvs.push(keyv);
    const options: JwksCacheModuleOptions = {
      issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }],
      stores: [keyv],
      storeOptions: PATIENT_STORE,
      jwks: { timeout: PATIENT_REQUEST_MS },
      tokens: {
        inventory: { clientCredentials: { tokenEndpoint: idp.tokenEndpoint, ...CLIENT, timeout: PATIENT_REQUEST_MS } },
      },
      ...extra,
    };
    const moduleRef = await Test.createTestingModule({ imports: [JwksCacheModule.forRoot(options)] }).compile();
    modules.push(moduleRef);
    await moduleRef.init();
    return {
      provider: moduleRef.get(JwksProvider),
      tokens: moduleRef.get(TokenCacheService),
      store: moduleRef.get(CacheStore),
      events: moduleRef.get(JwksCacheEvents),
    };
  }

  async function reconnectAdmin(): Promise<void> {
    try {
      admin.destroy();
    } catch {
      // closed by a crash already
    }
    admin = createAdminClient(redis.url);
    admin.on('error', () => undefined);
    await admin.connect();
  }

  /** A key-set entry as the store writes it, for an attacker to plant (valid envelope, no MAC). */
  function plantedKeySet(keys: object[]): string {
    const now = Date.now();
    const value = { jwks: { keys }, fetchedAt: now, freshUntil: now + HOUR_MS, skipped: 0 };
    return JSON.stringify({ value: { v: 1, kind: 'jwks', exp: now + HOUR_MS, value, mac: 'AAAA' }, expires: null });
  }

  beforeAll(async () => {
    redis = await startRedis();
    idp = await LocalIssuer.start({ algorithms: ['RS256'], clients: [CLIENT] });
    admin = createAdminClient(redis.url);
    admin.on('error', () => undefined);
    await admin.connect();
  });

  afterAll(async () => {
    await admin.close().catch(() => undefined);
    await redis.stop();
    await idp.close();
  });

  beforeEach(async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    if (!redis.running) await redis.restart();
    if (!admin.isReady) await reconnectAdmin();
    await admin.flushAll();
    idp.resetCounters();
  });

  afterEach(async () => {
    await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
    await Promise.all(keyvs.splice(0).map((keyv) => keyv.disconnect().catch(() => undefined)));
    jest.restoreAllMocks();
  });

  it('lets a second instance verify and call out with what the first one fetched: 0 JWKS and 0 token requests', async () => {
    const first = await startInstance();
    const token = await idp.mint();
    await first.provider.verify(token);
    const accessToken = await first.tokens.ensureToken('inventory');
    expect(idp.requests).toMatchObject({ jwks: 1, token: 1 });
    idp.resetCounters();

    const second = await startInstance();
    await expect(second.provider.verify(token)).resolves.toMatchObject({ issuer: idp.issuer });
    expect(await second.tokens.ensureToken('inventory')).toBe(accessToken);

    expect(idp.requests).toMatchObject({ jwks: 0, token: 0 });
    expect(second.store.stats().l2Hits).toBeGreaterThanOrEqual(2);
  });

  it('makes exactly one JWKS request and one token request for 4 instances started and hit together', async () => {
    const instances = await Promise.all([startInstance(), startInstance(), startInstance(), startInstance()]);
    const tokens = await Promise.all([idp.mint(), idp.mint({ sub: 'other' })]);

    await Promise.all(instances.flatMap((instance) => tokens.map((token) => instance.provider.verify(token))));
    const accessTokens = await Promise.all(instances.map((instance) => instance.tokens.ensureToken('inventory')));

    // No Redis call was abandoned: every instance saw the fleet lock and its holder's result.
    expect(instances.map((instance) => instance.store.stats().timeouts + instance.store.stats().errors)).toEqual([
      0, 0, 0, 0,
    ]);
    expect(idp.requests.jwks).toBe(1);
    expect(idp.requests.token).toBe(1);
    expect(new Set(accessTokens).size).toBe(1);
  });

  it('keeps verifying every valid token when Redis is killed mid-run, then shares again after its restart', async () => {
    const faultBound = { storeOptions: { timeout: 100 } };
    const first = await startInstance(faultBound);
    const second = await startInstance(faultBound);
    await first.provider.verify(await idp.mint());

    const storeErrors: string[] = [];
    first.events.on('store.error', ({ error }) => storeErrors.push(error.code));
    await redis.kill();
    const third = await startInstance(faultBound);
    for (const instance of [first, second, third]) {
      for (let i = 0; i < 3; i += 1) {
        await expect(instance.provider.verify(await idp.mint({ sub: `user-${i}` }))).resolves.toMatchObject({
          issuer: idp.issuer,
        });
      }
      await expect(instance.tokens.ensureToken('inventory')).resolves.toEqual(expect.any(String));
    }
    const faults = third.store.stats();
    expect(faults.errors + faults.timeouts).toBeGreaterThan(0);
    // The module's events surface carries the faults of its store.
    expect(storeErrors.length).toBe(first.store.stats().errors + first.store.stats().timeouts);
    expect(storeErrors.length).toBeGreaterThan(0);

    await redis.restart();
    await reconnectAdmin();
    let shared: string | null = null;
    for (let attempt = 0; attempt < 100 && shared === null; attempt += 1) {
      await third.provider.refresh(idp.issuer);
      shared = await admin.get(CacheStore.key('jwks', idp.issuer));
      if (shared === null) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(shared).toContain('"kind":"jwks"');
  });

  it('ignores a key set planted in Redis without a valid HMAC (integrityKey): attacker tokens fail, valid ones verify, entry healed', async () => {
    const attacker = await generateAttackerKey('RS256');
    await admin.set(CacheStore.key('jwks', idp.issuer), plantedKeySet([{ ...attacker.publicJwk, kid: 'attacker' }]));

    const instance = await startInstance({ integrityKey: INTEGRITY_KEY });
    const forged = await idp.mint({}, { key: attacker.privateKey, kid: 'attacker' });

    await expect(instance.provider.verify(forged)).rejects.toThrow();
    await expect(instance.provider.verify(await idp.mint())).resolves.toMatchObject({ issuer: idp.issuer });
    expect(instance.store.stats().rejectedEntries).toBeGreaterThanOrEqual(1);
    expect(idp.requests.jwks).toBe(1);
    const healed = (await admin.get(CacheStore.key('jwks', idp.issuer)))!;
    expect(healed).not.toContain('attacker');
    expect(healed).toContain(idp.publishedKids()[0]);
  });

  it('without integrityKey, still never trusts planted private or symmetric keys: attacker tokens fail, entry healed', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const privateJwk = { ...(await exportJWK(privateKey)), kid: 'attacker-rsa', alg: 'RS256' };
    const secret = 'attacker-chosen-hmac-secret-000000';
    const octJwk = { kty: 'oct', k: Buffer.from(secret).toString('base64url'), kid: 'attacker-oct', alg: 'HS256' };
    await admin.set(CacheStore.key('jwks', idp.issuer), plantedKeySet([privateJwk, octJwk]));

    const instance = await startInstance();
    const forgedRsa = await idp.mint({}, { key: privateKey, kid: 'attacker-rsa' });
    const forgedHmac = await idp.mint({}, { key: secret, kid: 'attacker-oct', header: { alg: 'HS256' } });

    await expect(instance.provider.verify(forgedRsa)).rejects.toThrow();
    await expect(instance.provider.verify(forgedHmac)).rejects.toThrow();
    await expect(instance.provider.verify(await idp.mint())).resolves.toMatchObject({ issuer: idp.issuer });
    expect(idp.requests.jwks).toBe(1);
    const healed = (await admin.get(CacheStore.key('jwks', idp.issuer)))!;
    expect(healed).not.toContain('attacker');
    expect(healed).not.toContain('"d"');
  });

  it('never writes the client secret to Redis, and encrypts the token with encryptionKey', async () => {
    const instance = await startInstance({ encryptionKey: ENCRYPTION_KEY });
    const accessToken = await instance.tokens.ensureToken('inventory');

    const keys = await admin.keys('*');
    expect(keys.every((key) => key.startsWith('jwks-cache:v1:'))).toBe(true);
    const everything = (
      await Promise.all(keys.filter((key) => !key.includes(':lock:')).map((key) => admin.get(key)))
    ).join('\n');
    expect(everything).not.toContain(CLIENT.clientSecret);
    expect(everything).not.toContain(CLIENT.clientId);
    expect(everything).not.toContain(accessToken.split('.')[1]);
  });

  it("two apps sharing Redis, both with a token function named default: B never gets A's token; shareKey shares on purpose", async () => {
    const appA = await startInstance({
      tokens: { default: { tokenFunction: () => ({ access_token: 'orders-token', expires_in: 3600 }) } },
    });
    const appB = await startInstance({
      tokens: { default: { tokenFunction: () => ({ access_token: 'billing-token', expires_in: 3600 }) } },
    });
    await expect(appA.tokens.ensureToken()).resolves.toBe('orders-token');
    await expect(appB.tokens.ensureToken()).resolves.toBe('billing-token');
    await expect(appB.tokens.ensureToken('default', 'tenant-1')).resolves.toBe('billing-token');
    // Without shareKey a token function's tokens stay in process: nothing of them in Redis.
    const stored = (await Promise.all((await admin.keys('*')).map((key) => admin.get(key)))).join('\n');
    expect(stored).not.toContain('orders-token');

    // Two instances of one app opt in with the same shareKey: one call for both.
    let calls = 0;
    const shared = {
      tokens: {
        default: {
          shareKey: 'orders-api',
          tokenFunction: () => ({ access_token: `orders-shared-${++calls}`, expires_in: 3600 }),
        },
      },
    };
    const first = await startInstance(shared);
    const second = await startInstance(shared);
    await expect(first.tokens.ensureToken()).resolves.toBe('orders-shared-1');
    await expect(second.tokens.ensureToken()).resolves.toBe('orders-shared-1');
    expect(calls).toBe(1);
  });

  it('two apps sharing Redis, both with client credentials named default: a token is shared only when every setting that defines it is equal', async () => {
    const credentials = { tokenEndpoint: idp.tokenEndpoint, ...CLIENT };
    const variants = [
      {},
      { scope: 'orders:read' },
      { audience: 'billing-api' },
      { resource: 'https://billing.example' },
      { extraParams: { tenant_hint: 'b' } },
      { authMethod: 'client_secret_post' as const },
    ];
    const tokens: string[] = [];
    for (const variant of variants) {
      const app = await startInstance({ tokens: { default: { clientCredentials: { ...credentials, ...variant } } } });
      tokens.push(await app.tokens.ensureToken());
    }
    expect(new Set(tokens).size).toBe(variants.length);
    expect(idp.tokenRequests()).toHaveLength(variants.length);

    // The same settings in another app: the token comes from Redis, with no request.
    const twin = await startInstance({
      tokens: { default: { clientCredentials: { ...credentials, scope: 'orders:read' } } },
    });
    await expect(twin.tokens.ensureToken()).resolves.toBe(tokens[1]);
    expect(idp.tokenRequests()).toHaveLength(variants.length);
  });
});
