/**
 * Issue 14: someone who can read or write the shared Redis can neither leak a secret nor inject
 * trust. Each case is the attack, run against a real `redis-server` started here.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { createClient, createKeyv, type Keyv } from '@keyv/redis';
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { generateAttackerKey, LocalIssuer } from '@jwks-cache/testing';
import { JwksCacheModule, JwksProvider, TokenCacheService, type JwksCacheModuleOptions } from '../../src/index.js';
import { CacheStore } from '../../src/store/index.js';
import { fakeClock, type FakeClock } from '../../../../test/support/fake-clock.js';
import { ScriptedServer } from '../security/support/scripted-server.js';
import { describeWithRedis, startRedis, type TestRedis } from '../support/redis-server.js';

const CLIENT = { clientId: 'orders-service', clientSecret: 'orders-service-secret-value' };
/** 32 random bytes in base64, as `openssl rand -base64 32` prints them. */
const INTEGRITY_KEY = 'qZ7b0V1m2cXo3pQ9rT4uW5yA6sD8fG0hJ1kL2zX3cV4=';
const ENCRYPTION_KEY = 'bm90LXRoZS1pbnRlZ3JpdHkta2V5LTMyLWJ5dGVzLSE=';
const TEN_YEARS_MS = 10 * 365 * 86_400_000;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

const createAdminClient = (url: string) => createClient({ url, socket: { reconnectStrategy: false } });
type AdminClient = ReturnType<typeof createAdminClient>;

interface Instance {
  provider: JwksProvider;
  tokens: TokenCacheService;
  store: CacheStore;
}

describeWithRedis('a shared Redis under an attacker who can read or write it', () => {
  let clock: FakeClock;
  let redis: TestRedis;
  let admin: AdminClient;
  let idp: LocalIssuer;
  const modules: TestingModule[] = [];
  const keyvs: Keyv[] = [];
  const servers: ScriptedServer[] = [];

  async function startInstance(options: Omit<JwksCacheModuleOptions, 'stores'>): Promise<Instance> {
    const keyv = createKeyv(redis.url);
    keyvs.push(keyv);
    const moduleRef = await Test.createTestingModule({
      imports: [JwksCacheModule.forRoot({ ...options, stores: [keyv] })],
    }).compile();
    modules.push(moduleRef);
    await moduleRef.init();
    return {
      provider: moduleRef.get(JwksProvider),
      tokens: moduleRef.get(TokenCacheService),
      store: moduleRef.get(CacheStore),
    };
  }

  async function scriptedServer(body: object): Promise<ScriptedServer> {
    const server = await ScriptedServer.start();
    servers.push(server);
    server.serve(JSON.stringify(body));
    return server;
  }

  /** An entry as `@keyv/redis` stores it: a valid envelope around `value`, with no (or a bogus) MAC. */
  function planted(kind: string, value: unknown, exp: number): string {
    return JSON.stringify({ value: { v: 1, kind, exp, value }, expires: null });
  }

  /** Everything this library wrote to Redis (locks aside), as one string. */
  async function everythingInRedis(): Promise<string> {
    const keys = (await admin.keys('*')).filter((key) => !key.includes(':lock:'));
    return (await Promise.all(keys.map((key) => admin.get(key)))).join('\n');
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
    await admin.flushAll();
    idp.resetCounters();
  });

  afterEach(async () => {
    await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
    await Promise.all(keyvs.splice(0).map((keyv) => keyv.disconnect().catch(() => undefined)));
    await Promise.all(servers.splice(0).map((server) => server.close()));
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  describe('item 1: a planted discovery document', () => {
    it('without integrityKey, never sends the client secret to the token_endpoint it names, nor fetches keys from its jwks_uri', async () => {
      const attacker = await generateAttackerKey('RS256');
      const stolenTokens = await scriptedServer({
        access_token: 'attacker-token',
        token_type: 'Bearer',
        expires_in: 3600,
      });
      const attackerJwks = await scriptedServer({
        keys: [{ ...attacker.publicJwk, kid: 'attacker', alg: 'RS256', use: 'sig' }],
      });
      const now = Date.now();
      const document = {
        issuer: idp.issuer,
        token_endpoint: `${stolenTokens.origin}/token`,
        jwks_uri: `${attackerJwks.origin}/jwks`,
      };
      await admin.set(
        CacheStore.key('discovery', idp.issuer),
        planted('discovery', { document, freshUntil: now + TEN_YEARS_MS }, now + TEN_YEARS_MS),
      );

      const instance = await startInstance({
        issuers: [{ issuer: idp.issuer }],
        tokens: { inventory: { clientCredentials: { issuer: idp.issuer, ...CLIENT } } },
      });
      await expect(instance.tokens.ensureToken('inventory')).resolves.not.toBe('attacker-token');
      await expect(
        instance.provider.verify(await idp.mint({}, { key: attacker.privateKey, kid: 'attacker' })),
      ).rejects.toThrow();
      await expect(instance.provider.verify(await idp.mint())).resolves.toMatchObject({ issuer: idp.issuer });

      // What an operator does on suspicion: empty Redis and drop the token. Nothing planted survives.
      await admin.flushAll();
      await instance.tokens.invalidate('inventory');
      await expect(instance.tokens.ensureToken('inventory')).resolves.not.toBe('attacker-token');

      expect(stolenTokens.requests).toBe(0);
      expect(attackerJwks.requests).toBe(0);
      expect(idp.requests.token).toBe(2);
    });

    it('without integrityKey, keeps discovery documents in process: none is written to Redis', async () => {
      const instance = await startInstance({ issuers: [{ issuer: idp.issuer }] });
      await instance.provider.verify(await idp.mint());

      expect(idp.requests.discovery).toBe(1);
      expect(await admin.get(CacheStore.key('discovery', idp.issuer))).toBeNull();
      expect(await admin.get(CacheStore.key('jwks', idp.issuer))).not.toBeNull();
    });

    it("with integrityKey, shares discovery documents, but a replayed one is fresh only for this process's ttl", async () => {
      clock = fakeClock();
      const writer = await startInstance({
        issuers: [{ issuer: idp.issuer, jwks: { ttl: HOUR_MS } }],
        integrityKey: INTEGRITY_KEY,
      });
      await writer.provider.verify(await idp.mint());
      expect(idp.requests).toMatchObject({ discovery: 1, jwks: 1 });

      // A reader within the writer's hour, but past its own one-minute ttl: it asks the issuer again.
      clock.advance(5 * MINUTE_MS);
      const reader = await startInstance({
        issuers: [{ issuer: idp.issuer, jwks: { ttl: MINUTE_MS } }],
        integrityKey: INTEGRITY_KEY,
      });
      await reader.provider.verify(await idp.mint());
      expect(idp.requests).toMatchObject({ discovery: 2, jwks: 2 });

      // A reader whose ttl covers the entry's age shares it: no request at all.
      const sharing = await startInstance({
        issuers: [{ issuer: idp.issuer, jwks: { ttl: HOUR_MS } }],
        integrityKey: INTEGRITY_KEY,
      });
      await sharing.provider.verify(await idp.mint());
      expect(idp.requests).toMatchObject({ discovery: 2, jwks: 2 });
    });
  });

  describe('item 2: HMAC secrets of HS* issuers', () => {
    const HS_ISSUER = 'https://hs-issuer.example.com/';
    const secret = randomBytes(32);
    const octJwk = { kty: 'oct', k: secret.toString('base64url'), kid: 'hs-1', alg: 'HS256' };
    const mintHs = (key: Uint8Array, kid = 'hs-1') =>
      new SignJWT({ sub: 'user' })
        .setProtectedHeader({ alg: 'HS256', kid })
        .setIssuer(HS_ISSUER)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key);

    async function hsOptions(
      extra: Partial<JwksCacheModuleOptions> = {},
    ): Promise<{ options: Omit<JwksCacheModuleOptions, 'stores'>; jwks: ScriptedServer }> {
      const jwks = await scriptedServer({ keys: [octJwk] });
      const options = {
        issuers: [
          {
            issuer: HS_ISSUER,
            jwksUri: `${jwks.origin}/jwks`,
            algorithms: ['HS256' as const],
            allowSymmetricAlgorithms: true,
          },
        ],
        ...extra,
      };
      return { options, jwks };
    }

    function encodingsOfSecret(): string[] {
      return [
        secret.toString('base64url'),
        secret.toString('base64'),
        secret.toString('hex'),
        secret.toString('latin1'),
      ];
    }

    it('with integrityKey but no encryptionKey, writes the key set to no shared store: the secret is in Redis in no encoding', async () => {
      const { options } = await hsOptions({ integrityKey: INTEGRITY_KEY });
      const instance = await startInstance(options);
      await expect(instance.provider.verify(await mintHs(secret))).resolves.toMatchObject({ issuer: HS_ISSUER });

      const stored = await everythingInRedis();
      for (const encoding of encodingsOfSecret()) expect(stored).not.toContain(encoding);
      expect(await admin.get(CacheStore.key('jwks', HS_ISSUER))).toBeNull();
    });

    it('with encryptionKey, shares the key set encrypted: not in Redis in any encoding, and a second instance needs no JWKS request', async () => {
      const { options, jwks } = await hsOptions({ integrityKey: INTEGRITY_KEY, encryptionKey: ENCRYPTION_KEY });
      const first = await startInstance(options);
      const token = await mintHs(secret);
      await first.provider.verify(token);
      expect(jwks.requests).toBe(1);

      const stored = await everythingInRedis();
      expect(stored).toContain('"enc"');
      for (const encoding of encodingsOfSecret()) expect(stored).not.toContain(encoding);

      const second = await startInstance(options);
      await expect(second.provider.verify(token)).resolves.toMatchObject({ issuer: HS_ISSUER });
      expect(jwks.requests).toBe(1);
    });

    it('never takes an oct key from a clear entry, even for an HS* issuer without integrityKey: a planted secret forges nothing', async () => {
      const attackerSecret = randomBytes(32);
      const now = Date.now();
      const plantedSet = {
        jwks: { keys: [{ kty: 'oct', k: attackerSecret.toString('base64url'), kid: 'attacker', alg: 'HS256' }] },
        fetchedAt: now,
        freshUntil: now + HOUR_MS,
        skipped: 0,
      };
      await admin.set(CacheStore.key('jwks', HS_ISSUER), planted('jwks', plantedSet, now + HOUR_MS));

      const { options, jwks } = await hsOptions({ encryptionKey: ENCRYPTION_KEY });
      const instance = await startInstance(options);
      await expect(instance.provider.verify(await mintHs(attackerSecret, 'attacker'))).rejects.toThrow();
      await expect(instance.provider.verify(await mintHs(secret))).resolves.toMatchObject({ issuer: HS_ISSUER });
      expect(jwks.requests).toBeGreaterThanOrEqual(1);
    });
  });

  describe('item 4: replay of an old, validly signed key set', () => {
    it('a cold instance given an envelope older than its own freshness refetches, and never trusts the key the issuer removed', async () => {
      clock = fakeClock();
      const oldKid = idp.publishedKids()[0];
      const writer = await startInstance({
        issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, jwks: { ttl: HOUR_MS } }],
        integrityKey: INTEGRITY_KEY,
      });
      await writer.provider.verify(await idp.mint());
      const oldEnvelope = (await admin.get(CacheStore.key('jwks', idp.issuer)))!;
      expect(oldEnvelope).toContain(oldKid);

      // The issuer rotates and removes the old key; the attacker writes the old, validly signed envelope back.
      const { kid: newKid } = await idp.rotate();
      idp.retire(oldKid);
      clock.advance(5 * MINUTE_MS);
      await admin.set(CacheStore.key('jwks', idp.issuer), oldEnvelope);
      idp.resetCounters();

      const cold = await startInstance({
        issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, jwks: { ttl: MINUTE_MS } }],
        integrityKey: INTEGRITY_KEY,
      });
      await expect(cold.provider.verify(await idp.mint({}, { kid: oldKid }))).rejects.toThrow();
      await expect(cold.provider.verify(await idp.mint({}, { kid: newKid }))).resolves.toMatchObject({
        issuer: idp.issuer,
      });
      expect(idp.requests.jwks).toBe(1);
    });

    it("caps a planted freshUntil ten years ahead to this process's ttl (in process too)", async () => {
      const now = Date.now();
      const jwks = idp.jwks();
      await admin.set(
        CacheStore.key('jwks', idp.issuer),
        planted('jwks', { jwks, fetchedAt: now, freshUntil: now + TEN_YEARS_MS, skipped: 0 }, now + TEN_YEARS_MS),
      );

      const instance = await startInstance({
        issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, jwks: { ttl: MINUTE_MS } }],
      });
      await instance.provider.verify(await idp.mint());
      const { freshUntil } = instance.provider.stats().issuers[idp.issuer];
      expect(freshUntil).toBeDefined();
      expect(freshUntil!).toBeLessThanOrEqual(now + MINUTE_MS);
    });
  });
});
