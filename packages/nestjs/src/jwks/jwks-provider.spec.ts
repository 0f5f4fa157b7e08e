import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { LocalIssuer } from '@jwks-cache/testing';
import { createPublicKey, KeyObject, randomUUID } from 'node:crypto';
import { jwtVerify, type CryptoKey } from 'jose';
import {
  ClaimValidationError,
  KeySetUnavailableError,
  MultipleMatchingKeysError,
  NoMatchingKeyError,
  SignatureInvalidError,
  TokenExpiredError,
  UnknownIssuerError,
} from '../errors.js';
import type { IssuerOptions, JwksCacheModuleOptions } from '../config/options.js';
import { jwksSecretProvider } from '../passport/jwks-secret-provider.js';
import type { JwksProvider } from './jwks-provider.js';
import { advanceClock, createProvider, outcome, setClock, waitFor } from '../../test/support/jwks-provider.js';

const T0 = Date.UTC(2030, 0, 1);

describe('JwksProvider (key cache, against a LocalIssuer)', () => {
  let idp: LocalIssuer;
  const providers: JwksProvider[] = [];

  function build(options: Partial<JwksCacheModuleOptions> = {}, issuer: Partial<IssuerOptions> = {}) {
    const built = createProvider({ ...options, issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, ...issuer }] });
    providers.push(built.provider);
    return built;
  }

  function jwksRequestsDuring<T>(action: () => Promise<T>): Promise<{ result: T; requests: number }> {
    const before = idp.requests.jwks;
    return action().then((result) => ({ result, requests: idp.requests.jwks - before }));
  }

  beforeAll(async () => {
    idp = await LocalIssuer.start({ algorithms: ['ES256'] });
  });

  afterEach(() => {
    for (const provider of providers.splice(0)) provider.onModuleDestroy();
    idp.clearFaults();
    jest.useRealTimers();
  });

  afterAll(() => idp.close());

  it('coalesces 500 concurrent verifies on a cold cache into exactly 1 JWKS request', async () => {
    const { provider, events } = build();
    const token = await idp.mint();
    const { result, requests } = await jwksRequestsDuring(() =>
      Promise.all(Array.from({ length: 500 }, () => provider.verify(token))),
    );
    expect(requests).toBe(1);
    expect(result.every((verified) => verified.payload.sub === 'test-user')).toBe(true);
    expect(events.of('jwks.fetched')).toEqual([
      expect.objectContaining({ issuer: idp.issuer, keys: 1, source: 'network' }),
    ]);
    expect(provider.stats().issuers[idp.issuer]).toMatchObject({ fetches: 1, fetchErrors: 0, keys: 1, state: 'fresh' });
  });

  it('rejects 1 000 unknown kids within one cooldown with at most 1 extra request', async () => {
    setClock(T0);
    const { provider, events } = build();
    await provider.verify(await idp.mint());
    advanceClock(31_000);
    const tokens = await Promise.all(Array.from({ length: 1_000 }, () => idp.mint({}, { kid: randomUUID() })));
    const { result, requests } = await jwksRequestsDuring(() =>
      Promise.all(tokens.map((token) => outcome(provider.verify(token)))),
    );
    expect(requests).toBeLessThanOrEqual(1);
    expect(result.every((error) => error instanceof NoMatchingKeyError)).toBe(true);
    expect(result.filter((error) => (error as NoMatchingKeyError).cooldown)).toHaveLength(999);
    expect(provider.stats().issuers[idp.issuer].cooldownRejections).toBe(999);
    expect(events.of('jwks.unknown_kid').filter((event) => event.refetched)).toHaveLength(1);
  });

  it('counts one key-set lookup per verification that looks a key up: none for a verified-token cache hit, one for an unknown kid', async () => {
    setClock(T0);
    const { provider } = build();
    const token = await idp.mint();
    await provider.verify(token);
    const hitsOf = () => provider.stats().issuers[idp.issuer].hits;
    const before = hitsOf();
    for (let i = 0; i < 5; i++) await provider.verify(token);
    expect(provider.verifyCached(token)).toBeDefined();
    // The cache's trust check is a query: the six cache hits above looked no key set up.
    expect(hitsOf()).toBe(before);
    expect(provider.stats().verifiedTokens.hits).toBe(6);
    // An unknown kid within the cooldown: one lookup (that finds no key), one cooldown rejection.
    await outcome(provider.verify(await idp.mint({}, { kid: randomUUID() })));
    expect(hitsOf()).toBe(before + 1);
    expect(provider.stats().issuers[idp.issuer].cooldownRejections).toBe(1);
  });

  it('counts failed fetches in the cooldown: an outage plus an unknown-kid flood makes 1 request', async () => {
    setClock(T0);
    const { provider } = build();
    await provider.verify(await idp.mint());
    advanceClock(31_000);
    idp.fail();
    const tokens = await Promise.all(Array.from({ length: 100 }, () => idp.mint({}, { kid: randomUUID() })));
    const first = await jwksRequestsDuring(() => outcome(provider.verify(tokens[0])));
    expect(first.requests).toBe(1);
    expect(first.result).toBeInstanceOf(NoMatchingKeyError);
    const rest = await jwksRequestsDuring(() =>
      Promise.all(tokens.slice(1).map((token) => outcome(provider.verify(token)))),
    );
    expect(rest.requests).toBe(0);
    expect(rest.result.every((error) => error instanceof NoMatchingKeyError && error.cooldown)).toBe(true);
    expect(provider.stats().issuers[idp.issuer]).toMatchObject({ fetches: 2, fetchErrors: 1, state: 'fresh' });
    await expect(provider.verify(await idp.mint({ n: 1 }))).resolves.toBeDefined();
  });

  it('refresh() bypasses the cooldown and coalesces concurrent calls', async () => {
    const { provider } = build();
    await provider.verify(await idp.mint());
    const { requests } = await jwksRequestsDuring(() =>
      Promise.all([provider.refresh(idp.issuer), provider.refresh(idp.issuer)]),
    );
    expect(requests).toBe(1);
    idp.fail();
    await expect(provider.refresh(idp.issuer)).rejects.toMatchObject({ code: 'ERR_FETCH_FAILED', status: 503 });
    expect(provider.stats().issuers[idp.issuer]).toMatchObject({ keys: 1, state: 'fresh' });
  });

  it('trusts a rotated key after the cooldown and distrusts a retired one after a refresh', async () => {
    setClock(T0);
    const { provider } = build();
    const oldKid = idp.publishedKids()[0];
    const oldToken = await idp.mint();
    await provider.verify(oldToken);
    const { kid: newKid } = await idp.rotate();
    const newToken = await idp.mint();
    try {
      const rejected = await outcome(provider.verify(newToken));
      expect(rejected).toBeInstanceOf(NoMatchingKeyError);
      expect((rejected as NoMatchingKeyError).cooldown).toBe(true);
      advanceClock(30_000);
      const { requests } = await jwksRequestsDuring(() => provider.verify(newToken));
      expect(requests).toBe(1);
      await expect(provider.verify(await idp.mint({}, { kid: oldKid }))).resolves.toBeDefined();
      idp.retire(oldKid);
      await provider.refresh(idp.issuer);
      await expect(provider.verify(oldToken)).rejects.toBeInstanceOf(NoMatchingKeyError);
      await expect(provider.verify(await idp.mint({ sub: 'other' }, { kid: oldKid }))).rejects.toBeInstanceOf(
        NoMatchingKeyError,
      );
      await expect(provider.verify(await idp.mint({}, { kid: newKid }))).resolves.toBeDefined();
    } finally {
      if (idp.publishedKids().includes(oldKid)) idp.retire(oldKid);
    }
  });

  it('without a kid, getKey (given the token), keyResolver and jwksSecretProvider pick the key that verifies, as verify() does', async () => {
    const { provider } = build();
    const { kid: secondKid } = await idp.rotate();
    try {
      const signedBySecond = await idp.mint({ n: 2 }, { noKid: true });
      await provider.refresh(idp.issuer);
      const second = await provider.getKey(idp.issuer, { kid: secondKid, alg: 'ES256' });
      const picked = await provider.getKey(idp.issuer, { alg: 'ES256' }, signedBySecond);
      expect(KeyObject.from(picked as CryptoKey).equals(KeyObject.from(second as CryptoKey))).toBe(true);
      await expect(jwtVerify(signedBySecond, provider.keyResolver(idp.issuer))).resolves.toMatchObject({
        payload: { n: 2 },
      });
      const pem = await new Promise<unknown>((resolve, reject) =>
        jwksSecretProvider(provider)({}, signedBySecond, (error, key) => (error ? reject(error) : resolve(key))),
      );
      expect(createPublicKey(pem as string).equals(KeyObject.from(second as CryptoKey))).toBe(true);
      // Without the token several keys fit and none can be told apart: a typed refusal, not a guess.
      await expect(provider.getKey(idp.issuer, { alg: 'ES256' })).rejects.toBeInstanceOf(MultipleMatchingKeysError);
      // A kid-less token that no key verifies is a bad signature on every path.
      const forged = `${signedBySecond.slice(0, signedBySecond.lastIndexOf('.'))}.${(await idp.mint({ n: 3 }, { noKid: true })).split('.')[2]}`;
      await expect(provider.getKey(idp.issuer, { alg: 'ES256' }, forged)).rejects.toBeInstanceOf(SignatureInvalidError);
      await expect(jwtVerify(forged, provider.keyResolver(idp.issuer))).rejects.toBeInstanceOf(SignatureInvalidError);
    } finally {
      idp.retire(secondKid);
    }
  });

  it('without a kid, tries every key that fits the alg', async () => {
    const { provider } = build();
    const firstKid = idp.publishedKids()[0];
    const { kid: secondKid } = await idp.rotate();
    try {
      const signedByFirst = await idp.mint({ n: 1 }, { kid: firstKid, noKid: true });
      const signedBySecond = await idp.mint({ n: 2 }, { noKid: true });
      await expect(provider.verify(signedByFirst)).resolves.toMatchObject({ payload: { n: 1 } });
      await expect(provider.verify(signedBySecond)).resolves.toMatchObject({ payload: { n: 2 } });
      expect(provider.stats().issuers[idp.issuer].keys).toBe(2);
    } finally {
      idp.retire(secondKid);
    }
  });

  /** Verifies once past freshness (served while revalidating) and waits for the one refetch it starts. */
  async function requestsOfOneRefetch(provider: JwksProvider, freshUntil: number): Promise<number> {
    const before = idp.requests.jwks;
    await provider.verify(await idp.mint());
    await waitFor(() => provider.stats().issuers[idp.issuer].freshUntil !== freshUntil);
    return idp.requests.jwks - before;
  }

  it('keeps a set fresh for Cache-Control max-age=120: no refetch at +119 s, a refetch after', async () => {
    setClock(T0);
    idp.cacheControl('max-age=120');
    const { provider } = build({ jwks: { refreshAhead: 0 } });
    await provider.verify(await idp.mint());
    advanceClock(119_000);
    expect((await jwksRequestsDuring(async () => provider.verify(await idp.mint()))).requests).toBe(0);
    advanceClock(2_000);
    expect(await requestsOfOneRefetch(provider, T0 + 120_000)).toBe(1);
  });

  it('clamps max-age=5 up to 60 s', async () => {
    setClock(T0);
    idp.cacheControl('max-age=5');
    const { provider } = build({ jwks: { refreshAhead: 0 } });
    await provider.verify(await idp.mint());
    expect(provider.stats().issuers[idp.issuer].freshUntil).toBe(T0 + 60_000);
    advanceClock(59_000);
    expect((await jwksRequestsDuring(async () => provider.verify(await idp.mint()))).requests).toBe(0);
    advanceClock(2_000);
    expect(await requestsOfOneRefetch(provider, T0 + 60_000)).toBe(1);
  });

  it('uses a configured ttl as given (1 s) when there is no max-age', async () => {
    setClock(T0);
    const { provider } = build({ jwks: { ttl: 1_000, refreshAhead: 0 } });
    await provider.verify(await idp.mint());
    advanceClock(999);
    expect((await jwksRequestsDuring(async () => provider.verify(await idp.mint()))).requests).toBe(0);
    advanceClock(1);
    expect(await requestsOfOneRefetch(provider, T0 + 1_000)).toBe(1);
  });

  it('refreshes ahead: in the last 30 s of freshness requests are served and 1 background refresh starts', async () => {
    setClock(T0);
    const { provider } = build({ jwks: { ttl: 60_000 } });
    await provider.verify(await idp.mint());
    advanceClock(31_000);
    const before = idp.requests.jwks;
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, index) => idp.mint({ n: index })));
    await Promise.all(tokens.map((token) => provider.verify(token)));
    await waitFor(() => provider.stats().issuers[idp.issuer].freshUntil === T0 + 91_000);
    await provider.verify(await idp.mint());
    expect(idp.requests.jwks - before).toBe(1);
  });

  it('serves a refresh from a shared store instead of the network (cold start of a second instance)', async () => {
    const { Keyv } = await import('keyv');
    const shared = new Keyv();
    const options = { issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }], stores: [shared] };
    // Two instances: each its own CacheStore (L1) over the one shared Keyv.
    const first = createProvider(options);
    const second = createProvider(options);
    providers.push(first.provider, second.provider);
    const token = await idp.mint();
    const { requests } = await jwksRequestsDuring(async () => {
      await first.provider.verify(token);
      return second.provider.verify(token);
    });
    expect(requests).toBe(1);
    expect(second.events.of('jwks.fetched')).toEqual([expect.objectContaining({ source: 'store', keys: 1 })]);
    expect(second.provider.stats().issuers[idp.issuer].fetches).toBe(0);
  });

  it('never makes a request for a token of an issuer that is not configured', async () => {
    const stranger = await LocalIssuer.start({ algorithms: ['ES256'] });
    try {
      const { provider } = build();
      const before = { ours: idp.requests.total, theirs: stranger.requests.total };
      await expect(provider.verify(await stranger.mint())).rejects.toBeInstanceOf(UnknownIssuerError);
      await expect(provider.verify(await idp.mint({ iss: `${idp.issuer}/other` }))).rejects.toBeInstanceOf(
        UnknownIssuerError,
      );
      await expect(provider.verify(await idp.mint(), { issuer: stranger.issuer })).rejects.toBeInstanceOf(
        UnknownIssuerError,
      );
      expect(idp.requests.total).toBe(before.ours);
      expect(stranger.requests.total).toBe(before.theirs);
    } finally {
      await stranger.close();
    }
  });

  it('fails with KeySetUnavailableError when there is no set and the issuer is down, then recovers in the background', async () => {
    idp.fail();
    const { provider } = build({ jwks: { retryBackoff: { initial: 20, max: 40, jitter: 0 } } });
    const token = await idp.mint();
    await expect(provider.verify(token)).rejects.toBeInstanceOf(KeySetUnavailableError);
    const requests = idp.requests.jwks;
    // While retrying in the background, requests do not wait on the failing issuer.
    await expect(provider.verify(token)).rejects.toBeInstanceOf(KeySetUnavailableError);
    expect(provider.issuerState(idp.issuer)).toBe('no-keys');
    idp.clearFaults();
    await waitFor(() => provider.issuerState(idp.issuer) === 'fresh');
    expect(idp.requests.jwks).toBeGreaterThan(requests);
    await expect(provider.verify(token)).resolves.toBeDefined();
  });

  describe('stale-if-error: after the ttl, with the issuer failing', () => {
    let elsewhere: LocalIssuer;
    beforeAll(async () => {
      elsewhere = await LocalIssuer.start({ algorithms: ['ES256'] });
    });
    afterAll(() => elsewhere.close());

    const faults: [string, () => void][] = [
      ['down (503)', () => idp.fail({ status: 503 })],
      ['slow (beyond the timeout)', () => idp.slow(10_000)],
      ['garbage', () => idp.garbage()],
      ['oversized', () => idp.oversized(40_000)],
      ['an invalid shape', () => idp.invalidShape()],
      ['a redirect to another origin', () => idp.redirect(elsewhere.jwksUri)],
    ];

    it.each(faults)(
      '%s: known kids keep verifying (stale, counted), the good set is kept, and replaced once the issuer is back',
      async (_fault, apply) => {
        setClock(T0);
        const { provider, events } = build({
          jwks: { timeout: 1_000, maxResponseBytes: 32_768, retryBackoff: { initial: 20, max: 50, jitter: 0 } },
        });
        await provider.verify(await idp.mint());
        const goodKeys = await provider.getJwks(idp.issuer);
        apply();
        // Past freshness and past stale-while-revalidate (`timeout`): the issuer's failure decides.
        advanceClock(600_000 + 1_000 + 1);
        const elsewhereBefore = elsewhere.requests.total;
        await expect(provider.verify(await idp.mint({ n: 1 }))).resolves.toBeDefined();
        await expect(provider.verify(await idp.mint({ n: 2 }))).resolves.toBeDefined();
        const stats = provider.stats().issuers[idp.issuer];
        expect(stats.staleServes).toBeGreaterThanOrEqual(2);
        expect(stats.fetchErrors).toBeGreaterThanOrEqual(1);
        expect(stats).toMatchObject({ keys: 1, state: 'stale' });
        expect(provider.issuerState(idp.issuer)).toBe('stale-serving');
        expect(events.of('jwks.stale_served').length).toBeGreaterThanOrEqual(2);
        expect(events.of('jwks.fetch_failed').length).toBeGreaterThanOrEqual(1);
        expect(await provider.getJwks(idp.issuer)).toEqual(goodKeys);
        expect(elsewhere.requests.total).toBe(elsewhereBefore);
        idp.clearFaults();
        await waitFor(() => provider.stats().issuers[idp.issuer].state === 'fresh');
        expect(provider.stats().issuers[idp.issuer].freshUntil).toBeGreaterThan(T0 + 600_001);
      },
    );

    it('stops serving stale keys after staleIfError', async () => {
      setClock(T0);
      const { provider } = build({
        jwks: { staleIfError: 60_000, retryBackoff: { initial: 10_000, max: 10_000, jitter: 0 } },
      });
      await provider.verify(await idp.mint());
      idp.fail();
      advanceClock(600_000 + 60_000);
      await expect(provider.verify(await idp.mint({ n: 1 }))).rejects.toBeInstanceOf(KeySetUnavailableError);
      expect(provider.issuerState(idp.issuer)).toBe('no-keys');
    });
  });

  describe('verified-token cache', () => {
    it('verifies a repeated token cryptographically once', async () => {
      const verifySpy = jest.spyOn(crypto.subtle, 'verify');
      try {
        const { provider } = build();
        const token = await idp.mint();
        for (let index = 0; index < 10; index++) await provider.verify(token);
        expect(verifySpy).toHaveBeenCalledTimes(1);
        expect(provider.stats().verifiedTokens).toEqual({ size: 1, hits: 9, misses: 1 });
      } finally {
        verifySpy.mockRestore();
      }
    });

    it('returns frozen results, so callers cannot corrupt the cache', async () => {
      const { provider } = build();
      const token = await idp.mint({ roles: ['reader'] });
      const first = await provider.verify(token);
      expect(() => {
        (first.payload as Record<string, unknown>).sub = 'admin';
      }).toThrow(TypeError);
      expect(() => (first.payload.roles as string[]).push('admin')).toThrow(TypeError);
      expect((await provider.verify(token)).payload).toMatchObject({ sub: 'test-user', roles: ['reader'] });
    });

    it('rejects an expired cached token (clock moved)', async () => {
      setClock(T0);
      const { provider } = build();
      const token = await idp.mint({}, { expiresIn: 60 });
      await provider.verify(token);
      advanceClock(64_000);
      await expect(provider.verify(token)).resolves.toBeDefined();
      advanceClock(1_000);
      await expect(provider.verify(token)).rejects.toBeInstanceOf(TokenExpiredError);
    });

    it('drops an entry when its key leaves the key set', async () => {
      const { provider } = build();
      const oldKid = idp.publishedKids()[0];
      const token = await idp.mint();
      await provider.verify(token);
      await idp.rotate();
      idp.retire(oldKid);
      await provider.refresh(idp.issuer);
      await expect(provider.verify(token)).rejects.toBeInstanceOf(NoMatchingKeyError);
      expect(provider.stats().verifiedTokens.size).toBe(0);
    });

    it('respects its size bound with more tokens than the bound', async () => {
      const { provider } = build({ verify: { verifiedTokenCacheSize: 5 } });
      const tokens = await Promise.all(Array.from({ length: 12 }, (_, index) => idp.mint({ n: index })));
      for (const token of tokens) await provider.verify(token);
      expect(provider.stats().verifiedTokens.size).toBe(5);
    });

    it('is disabled with size 0', async () => {
      const verifySpy = jest.spyOn(crypto.subtle, 'verify');
      try {
        const { provider } = build({ verify: { verifiedTokenCacheSize: 0 } });
        const token = await idp.mint();
        await provider.verify(token);
        await provider.verify(token);
        expect(verifySpy).toHaveBeenCalledTimes(2);
        expect(provider.stats().verifiedTokens).toEqual({ size: 0, hits: 0, misses: 0 });
      } finally {
        verifySpy.mockRestore();
      }
    });

    it('keeps per-call overrides apart: a token cached without them is checked again with them', async () => {
      const { provider } = build();
      const token = await idp.mint({ aud: 'orders' });
      await provider.verify(token);
      const error = await outcome(provider.verify(token, { audience: 'billing' }));
      expect(error).toBeInstanceOf(ClaimValidationError);
      expect(error).toMatchObject({ claim: 'aud' });
      await expect(provider.verify(token, { audience: 'orders' })).resolves.toBeDefined();
    });
  });

  it('exposes getKey, keyResolver and getJwks over the same cache', async () => {
    const { provider } = build();
    const token = await idp.mint();
    const kid = idp.publishedKids()[0];
    const { requests } = await jwksRequestsDuring(async () => {
      await expect(provider.getKey(idp.issuer, { kid, alg: 'ES256' })).resolves.toMatchObject({ type: 'public' });
      await expect(jwtVerify(token, provider.keyResolver(idp.issuer))).resolves.toMatchObject({
        payload: { sub: 'test-user' },
      });
      return provider.getJwks(idp.issuer);
    });
    expect(requests).toBe(1);
    expect((await provider.getJwks(idp.issuer)).keys).toEqual([expect.objectContaining({ kid, kty: 'EC' })]);
    await expect(provider.getKey(idp.issuer, { kid, alg: 'none' })).rejects.toThrow();
    expect(() => provider.keyResolver('https://unknown.test/')).toThrow(UnknownIssuerError);
  });
});
