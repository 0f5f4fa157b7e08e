import { afterAll, afterEach, beforeAll, beforeEach, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { createClient, createKeyv, type Keyv } from '@keyv/redis';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { JwksCacheModule, JwksProvider, type JwksCacheModuleOptions } from '../../src/index.js';
import { describeWithRedis, startRedis, type TestRedis } from '../support/redis-server.js';
import { TenantIdp } from '../support/tenant-idp.js';

// As `openssl rand -base64 32` prints one (fixed, so a failure can be replayed).
const INTEGRITY_KEY = 'yWjlhSsrxyfiIq1L/r4nJ5c13gszrdYQpfRQEPzVJA0=';
const HOUR_MS = 3_600_000;

describeWithRedis('issuer templates in a fleet sharing Redis', () => {
  let redis: TestRedis;
  let admin: ReturnType<typeof createClient>;
  let idp: TenantIdp;
  const modules: TestingModule[] = [];
  const keyvs: Keyv[] = [];

  async function startInstance(extra: Partial<JwksCacheModuleOptions> = {}): Promise<JwksProvider> {
    const keyv = createKeyv(redis.url);
    keyvs.push(keyv);
    const options: JwksCacheModuleOptions = {
      issuers: [{ issuer: idp.issuerTemplate, audience: 'api' }],
      stores: [keyv],
      ...extra,
    };
    const moduleRef = await Test.createTestingModule({ imports: [JwksCacheModule.forRoot(options)] }).compile();
    modules.push(moduleRef);
    await moduleRef.init();
    return moduleRef.get(JwksProvider);
  }

  beforeAll(async () => {
    redis = await startRedis();
    idp = await TenantIdp.start('shared');
    admin = createClient({ url: redis.url, socket: { reconnectStrategy: false } });
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
    await admin.flushAll();
    idp.requests = 0;
    idp.byPath.clear();
  });

  afterEach(async () => {
    await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
    await Promise.all(keyvs.splice(0).map((keyv) => keyv.disconnect().catch(() => undefined)));
    jest.restoreAllMocks();
  });

  it("with integrityKey, a second instance gets a tenant's discovery document and key set from the store: no request", async () => {
    const first = await startInstance({ integrityKey: INTEGRITY_KEY });
    await expect(first.verify(await idp.mint('acme'))).resolves.toMatchObject({ params: { tenant: 'acme' } });
    expect(idp.requests).toBe(2);
    const second = await startInstance({ integrityKey: INTEGRITY_KEY });
    await expect(second.verify(await idp.mint('acme'))).resolves.toMatchObject({ params: { tenant: 'acme' } });
    expect(idp.requests).toBe(2);
  });

  it('without integrityKey, the key set is shared but a discovery document (it names a URL) is never read from the store', async () => {
    const first = await startInstance();
    await first.verify(await idp.mint('acme'));
    expect(idp.requests).toBe(2);
    const second = await startInstance();
    await second.verify(await idp.mint('acme'));
    expect(idp.requestsTo('/t/acme/.well-known/openid-configuration')).toBe(2);
    expect(idp.requestsTo('/common/keys')).toBe(1);
  });

  it("with integrityKey, a key set planted in Redis for a template's JWKS URI is ignored: the attacker's key verifies nothing", async () => {
    const first = await startInstance({ integrityKey: INTEGRITY_KEY });
    await first.verify(await idp.mint('acme'));
    const attacker = await generateKeyPair('ES256');
    const attackerJwk = { ...(await exportJWK(attacker.publicKey)), kid: 'attacker', alg: 'ES256' };
    const now = Date.now();
    const planted = JSON.stringify({
      value: {
        v: 1,
        kind: 'jwks',
        exp: now + HOUR_MS,
        value: { jwks: { keys: [attackerJwk] }, fetchedAt: now, freshUntil: now + HOUR_MS, skipped: 0 },
        mac: 'AAAA',
      },
      expires: null,
    });
    const keySetKeys = (await admin.keys('*')).filter((key) => key.includes(':jwks:'));
    expect(keySetKeys.length).toBeGreaterThan(0);
    for (const key of keySetKeys) await admin.set(key, planted);

    const second = await startInstance({ integrityKey: INTEGRITY_KEY });
    const forged = await new SignJWT({ tid: 'globex', aud: 'api' })
      .setProtectedHeader({ alg: 'ES256', kid: 'attacker' })
      .setIssuer(idp.issuerOf('globex'))
      .setExpirationTime('1h')
      .sign(attacker.privateKey);
    await expect(second.verify(forged)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    await expect(second.verify(await idp.mint('globex'))).resolves.toMatchObject({ params: { tenant: 'globex' } });
  });
});
