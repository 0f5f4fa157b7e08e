import { afterAll, afterEach, beforeAll, beforeEach, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { createKeyv, type Keyv } from '@keyv/redis';
import { LocalIssuer } from '@jwks-cache/testing';
import {
  DpopRequestVerifier,
  JwksCacheEvents,
  JwksCacheModule,
  JwksProvider,
  type JwksCacheModuleOptions,
} from '../../src/index.js';
import { describeWithRedis, startRedis, type TestRedis } from '../support/redis-server.js';
import { dpopTestKey, mintProof, type DpopTestKey } from '../support/dpop-proofs.js';

const URL = 'https://api.example.com/orders';
const INTEGRITY_KEY = 'yWjlhSsrxyfiIq1L/r4nJ5c13gszrdYQpfRQEPzVJA0=';

/** Polls an async condition every 25 ms of real time, for at most 10 s. */
async function waitUntilAsync(condition: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface Instance {
  provider: JwksProvider;
  dpop: DpopRequestVerifier;
  events: JwksCacheEvents;
}

describeWithRedis('DPoP across a fleet sharing one redis-server', () => {
  let redis: TestRedis;
  let idp: LocalIssuer;
  let key: DpopTestKey;
  const modules: TestingModule[] = [];
  const keyvs: Keyv[] = [];

  async function startInstance(extra: Partial<JwksCacheModuleOptions> = {}, nonce = false): Promise<Instance> {
    const keyv = createKeyv(redis.url);
    keyvs.push(keyv);
    const options: JwksCacheModuleOptions = {
      issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, dpop: { mode: 'required', nonce } }],
      stores: [keyv],
      ...extra,
    };
    const moduleRef = await Test.createTestingModule({ imports: [JwksCacheModule.forRoot(options)] }).compile();
    modules.push(moduleRef);
    await moduleRef.init();
    return {
      provider: moduleRef.get(JwksProvider),
      dpop: moduleRef.get(DpopRequestVerifier),
      events: moduleRef.get(JwksCacheEvents),
    };
  }

  const requestWith = (token: string, proof: string) => ({
    method: 'GET',
    url: URL,
    headers: { authorization: `DPoP ${token}`, dpop: proof },
  });

  beforeAll(async () => {
    redis = await startRedis();
    [idp, key] = await Promise.all([LocalIssuer.start({ algorithms: ['ES256'] }), dpopTestKey('ES256')]);
  });

  afterAll(async () => {
    await redis.stop();
    await idp.close();
  });

  beforeEach(async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    if (!redis.running) await redis.restart();
  });

  afterEach(async () => {
    await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
    await Promise.all(keyvs.splice(0).map((keyv) => keyv.disconnect().catch(() => undefined)));
    jest.restoreAllMocks();
  });

  it.each([
    ['without integrityKey', {}],
    ['with integrityKey', { integrityKey: INTEGRITY_KEY }],
  ])('refuses a proof replayed to another instance (%s)', async (_name, extra) => {
    const [first, second] = await Promise.all([startInstance(extra), startInstance(extra)]);
    const token = await idp.mint({ cnf: { jkt: key.jkt } });
    const proof = await mintProof(key, { htm: 'GET', htu: URL, accessToken: token });
    await expect(first.provider.verifyRequest(requestWith(token, proof))).resolves.toMatchObject({
      scheme: 'dpop',
      jkt: key.jkt,
    });
    await expect(second.provider.verifyRequest(requestWith(token, proof))).rejects.toMatchObject({
      code: 'ERR_DPOP_PROOF_REPLAYED',
    });
    // A fresh proof passes on either.
    const fresh = await mintProof(key, { htm: 'GET', htu: URL, accessToken: token });
    await expect(second.provider.verifyRequest(requestWith(token, fresh))).resolves.toMatchObject({ scheme: 'dpop' });
    expect(second.dpop.replayStats()).toMatchObject({ replays: 1, accepted: 1, degraded: 0 });
  });

  it('degrades to the in-process replay cache when Redis is killed mid-run: logged, counted, a warning event, replays still refused locally', async () => {
    const [first, second] = await Promise.all([startInstance(), startInstance()]);
    const token = await idp.mint({ cnf: { jkt: key.jkt } });
    // Warm: the key set is in both processes before Redis goes away.
    for (const instance of [first, second]) {
      await instance.provider.verifyRequest(
        requestWith(token, await mintProof(key, { htm: 'GET', htu: URL, accessToken: token })),
      );
    }
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const degraded: string[] = [];
    first.events.on('dpop.replay_cache_degraded', ({ reason }) => degraded.push(reason));
    await redis.kill();

    const proof = await mintProof(key, { htm: 'GET', htu: URL, accessToken: token });
    await expect(first.provider.verifyRequest(requestWith(token, proof))).resolves.toMatchObject({ scheme: 'dpop' });
    await expect(first.provider.verifyRequest(requestWith(token, proof))).rejects.toMatchObject({
      code: 'ERR_DPOP_PROOF_REPLAYED',
    });
    expect(degraded).toEqual(['store_unavailable']);
    expect(first.dpop.replayStats().degraded).toBe(1);
    expect(
      warn.mock.calls
        .map(([line]) => String(line))
        .some((line) => line.includes('a proof replayed to another instance would pass')),
    ).toBe(true);

    // Back: once the first instance reaches Redis again (a proof accepted without degrading), the fleet-wide check works again.
    await redis.restart();
    await waitUntilAsync(async () => {
      const before = first.dpop.replayStats().degraded;
      await first.provider.verifyRequest(
        requestWith(token, await mintProof(key, { htm: 'GET', htu: URL, accessToken: token })),
      );
      return first.dpop.replayStats().degraded === before;
    });
    const after = await mintProof(key, { htm: 'GET', htu: URL, accessToken: token });
    await expect(first.provider.verifyRequest(requestWith(token, after))).resolves.toMatchObject({ scheme: 'dpop' });
    const degradedBefore = second.dpop.replayStats().degraded;
    const replayed = await second.provider.verifyRequest(requestWith(token, after)).catch((error: unknown) => error);
    // The second instance may still be reconnecting (then it degrades, and says so); once connected it refuses.
    if (second.dpop.replayStats().degraded === degradedBefore)
      expect(replayed).toMatchObject({ code: 'ERR_DPOP_PROOF_REPLAYED' });
    await waitUntilAsync(async () => {
      const again = await mintProof(key, { htm: 'GET', htu: URL, accessToken: token });
      await first.provider.verifyRequest(requestWith(token, again));
      const before = second.dpop.replayStats().degraded;
      const outcome = await second.provider.verifyRequest(requestWith(token, again)).catch((error: unknown) => error);
      if (second.dpop.replayStats().degraded !== before) return false;
      expect(outcome).toMatchObject({ code: 'ERR_DPOP_PROOF_REPLAYED' });
      return true;
    });
  });

  it('shares the server nonce: a nonce one instance handed out is accepted by another', async () => {
    const [first, second] = await Promise.all([startInstance({}, true), startInstance({}, true)]);
    const token = await idp.mint({ cnf: { jkt: key.jkt } });
    const without = await first.provider
      .verifyRequest(requestWith(token, await mintProof(key, { htm: 'GET', htu: URL, accessToken: token })))
      .catch((error: unknown) => error);
    expect(without).toMatchObject({ code: 'ERR_DPOP_NONCE_REQUIRED' });
    const nonce = (without as { nonce: string }).nonce;
    const proof = await mintProof(key, { htm: 'GET', htu: URL, accessToken: token, nonce });
    await expect(second.provider.verifyRequest(requestWith(token, proof))).resolves.toMatchObject({
      scheme: 'dpop',
      nonce,
    });
  });
});
