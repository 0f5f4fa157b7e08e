import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { LocalIssuer } from '@jwks-cache/testing';
import { UnknownIssuerError } from '../errors.js';
import type { IssuerOptions, JwksCacheModuleOptions } from '../config/options.js';
import type { JwksProvider } from './jwks-provider.js';
import { advanceClock, createProvider, setClock, waitFor } from '../../test/support/jwks-provider.js';
import type { ExportedKeySet } from './stored-key-set.js';

const T0 = Date.UTC(2030, 0, 1);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('JwksProvider.exportKeySet / seedKeySet (serverless cold starts)', () => {
  let idp: LocalIssuer;
  const providers: JwksProvider[] = [];

  function build(issuer: Partial<IssuerOptions> = {}, options: Partial<JwksCacheModuleOptions> = {}) {
    const built = createProvider({ ...options, issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, ...issuer }] });
    providers.push(built.provider);
    return built;
  }

  /** What a warm invocation would have written to the platform's KV. */
  async function exported(): Promise<ExportedKeySet> {
    const { provider } = build();
    await provider.verify(await idp.mint());
    const keySet = provider.exportKeySet(idp.issuer)!;
    // Through JSON, as a KV stores it.
    return JSON.parse(JSON.stringify(keySet)) as ExportedKeySet;
  }

  async function jwksRequestsDuring(action: () => Promise<unknown>): Promise<number> {
    const before = idp.requests.jwks;
    await action();
    return idp.requests.jwks - before;
  }

  beforeAll(async () => {
    idp = await LocalIssuer.start({ algorithms: ['ES256'] });
  });

  afterEach(() => {
    for (const provider of providers.splice(0)) provider.onModuleDestroy();
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  afterAll(() => idp.close());

  it('exports plain JSON { jwks, fetchedAt, freshUntil } with public keys only, and nothing before a load', async () => {
    setClock(T0);
    const { provider } = build();
    expect(provider.exportKeySet(idp.issuer)).toBeUndefined();
    await provider.verify(await idp.mint());
    const keySet = provider.exportKeySet(idp.issuer)!;
    expect(Object.keys(keySet).sort()).toEqual(['fetchedAt', 'freshUntil', 'jwks']);
    expect(keySet).toMatchObject({ fetchedAt: T0, freshUntil: T0 + 600_000 });
    expect(keySet.jwks.keys).toEqual(idp.jwks().keys.map((key) => expect.objectContaining({ kid: key.kid, x: key.x })));
    expect(keySet.jwks.keys.every((key) => key.d === undefined)).toBe(true);
    expect(() => provider.exportKeySet('https://other.example')).toThrow(UnknownIssuerError);
  });

  it('an export seeded into a fresh provider verifies with 0 JWKS requests', async () => {
    setClock(T0);
    const warm = await exported();
    const { provider, events } = build();
    await expect(provider.seedKeySet(idp.issuer, warm)).resolves.toBe('fresh');
    const token = await idp.mint();
    expect(await jwksRequestsDuring(() => provider.verify(token))).toBe(0);
    expect(events.of('jwks.fetched')).toEqual([expect.objectContaining({ source: 'seed', keys: 1 })]);
    expect(provider.stats().issuers[idp.issuer]).toMatchObject({
      fetches: 0,
      state: 'fresh',
      freshUntil: T0 + 600_000,
    });
  });

  it('issuers[i].seed: the warm-up and the first verification cost 0 JWKS requests', async () => {
    setClock(T0);
    const warm = await exported();
    const { provider } = build({ seed: warm });
    const token = await idp.mint();
    expect(
      await jwksRequestsDuring(async () => {
        await provider.onApplicationBootstrap();
        await provider.verify(token);
      }),
    ).toBe(0);
  });

  it('a verification started while a seed is checked waits for it instead of fetching', async () => {
    setClock(T0);
    const warm = await exported();
    const { provider } = build();
    const token = await idp.mint();
    expect(
      await jwksRequestsDuring(() => Promise.all([provider.seedKeySet(idp.issuer, warm), provider.verify(token)])),
    ).toBe(0);
  });

  describe('a tampered or old export costs no trust and at most one fetch', () => {
    async function seedThenVerify(tamper: (keySet: ExportedKeySet) => ExportedKeySet) {
      const seed = tamper(await exported());
      const { provider } = build();
      const outcome = await provider.seedKeySet(idp.issuer, seed);
      const token = await idp.mint();
      const requests = await jwksRequestsDuring(() => provider.verify(token));
      return { provider, outcome, requests };
    }

    it('a member with a private part (d) is refused, not used', async () => {
      setClock(T0);
      const { outcome, requests, provider } = await seedThenVerify((keySet) => ({
        ...keySet,
        jwks: { keys: keySet.jwks.keys.map((key) => ({ ...key, d: 'AAAA' })) },
      }));
      expect(outcome).toBe('refused');
      expect(requests).toBe(1);
      expect(provider.exportKeySet(idp.issuer)!.jwks.keys.every((key) => key.d === undefined)).toBe(true);
    });

    it('an oct key is refused, not used', async () => {
      setClock(T0);
      const { outcome, requests } = await seedThenVerify((keySet) => ({
        ...keySet,
        jwks: {
          keys: [{ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I', kid: keySet.jwks.keys[0].kid }],
        },
      }));
      expect(outcome).toBe('refused');
      expect(requests).toBe(1);
    });

    it('an oct key is refused even for an issuer that allows HS*: a seed carries no secret', async () => {
      setClock(T0);
      const { provider } = build({ algorithms: ['ES256', 'HS256'], allowSymmetricAlgorithms: true });
      const seed = { ...(await exported()) };
      seed.jwks = { keys: [{ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I', kid: 'hs' }] };
      await expect(provider.seedKeySet(idp.issuer, seed)).resolves.toBe('refused');
      expect(provider.exportKeySet(idp.issuer)).toBeUndefined();
    });

    it('a fetchedAt in the future is refused', async () => {
      setClock(T0);
      const { outcome, requests } = await seedThenVerify((keySet) => ({
        ...keySet,
        fetchedAt: T0 + HOUR,
        freshUntil: T0 + 2 * HOUR,
      }));
      expect(outcome).toBe('refused');
      expect(requests).toBe(1);
    });

    it("a freshUntil ten years ahead is capped by this process's settings (ttl, maxAgeBounds)", async () => {
      setClock(T0);
      const { outcome, requests, provider } = await seedThenVerify((keySet) => ({
        ...keySet,
        freshUntil: T0 + 10 * 365 * DAY,
      }));
      expect(outcome).toBe('fresh');
      expect(requests).toBe(0);
      const freshUntil = provider.stats().issuers[idp.issuer].freshUntil!;
      expect(freshUntil).toBeLessThanOrEqual(T0 + DAY);
      // Past the cap and past the stale-while-revalidate bound (`timeout`), the set is no longer used.
      advanceClock(DAY + 5_000 + 1);
      const token = await idp.mint();
      expect(await jwksRequestsDuring(() => provider.verify(token))).toBe(1);
    });

    it('an old fetchedAt (with a freshUntil rewritten to look fresh) is stale: one fetch', async () => {
      setClock(T0);
      const { outcome, requests } = await seedThenVerify((keySet) => ({
        ...keySet,
        fetchedAt: T0 - 2 * DAY,
        freshUntil: T0 + HOUR,
      }));
      expect(outcome).toBe('stale');
      expect(requests).toBe(1);
    });

    it('a seed older than the set in use is ignored', async () => {
      setClock(T0);
      const old = await exported();
      advanceClock(60_000);
      const { provider } = build();
      await provider.verify(await idp.mint());
      await expect(provider.seedKeySet(idp.issuer, old)).resolves.toBe('ignored');
      expect(provider.exportKeySet(idp.issuer)!.fetchedAt).toBe(T0 + 60_000);
    });
  });

  it('a wrong shape passed to seedKeySet is a TypeError; an unknown issuer an UnknownIssuerError', async () => {
    const { provider } = build();
    for (const bad of [
      null,
      'jwks',
      { jwks: { keys: [] } },
      { jwks: null, fetchedAt: 1, freshUntil: 2 },
      { jwks: { keys: [] }, fetchedAt: Number.NaN, freshUntil: 2 },
      { jwks: { keys: [] }, fetchedAt: '1', freshUntil: 2 },
    ]) {
      await expect(provider.seedKeySet(idp.issuer, bad as never)).rejects.toThrow(TypeError);
    }
    await expect(provider.seedKeySet('https://other.example', await exported())).rejects.toThrow(UnknownIssuerError);
  });

  it('an issuers[i].seed that fails is logged without its content and ignored, not fatal', async () => {
    setClock(T0);
    const warnings: string[] = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warnings.push(String(message)));
    const seed = await exported();
    const tampered = { ...seed, fetchedAt: T0 + DAY };
    const { provider } = build({ seed: tampered });
    const malformed = build({ seed: 'not-a-seed' as never }).provider;
    await waitFor(() => warnings.length === 2);
    expect(warnings.every((warning) => warning.includes(idp.issuer) && !warning.includes(seed.jwks.keys[0].x!))).toBe(
      true,
    );
    const token = await idp.mint();
    expect(
      await jwksRequestsDuring(async () => {
        await provider.onApplicationBootstrap();
        await provider.verify(token);
        await malformed.verify(token);
      }),
    ).toBe(2);
  });
});
