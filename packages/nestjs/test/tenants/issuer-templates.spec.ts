import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ClaimValidationError,
  JwksCacheEvents,
  JwksProvider,
  KeySetUnavailableError,
  UnknownIssuerError,
  type JwksCacheEventMap,
  type JwksCacheModuleOptions,
  type IssuerOptions,
} from '@jwks-cache/nestjs';
import { CacheStore } from '@jwks-cache/nestjs/store';
import { OidcDiscovery } from '@jwks-cache/nestjs/discovery';
import { validateOptions } from '../../src/config/validate-options.js';
import { fakeClock, restoreClock, type FakeClock } from '../../../../test/support/fake-clock.js';
import { TenantIdp } from '../support/tenant-idp.js';
import { waitUntil } from '../../../../test/support/wait-until.js';

/** A provider built as the module builds it, with the template events recorded. */
function makeProvider(issuers: IssuerOptions[], extra: Partial<JwksCacheModuleOptions> = {}) {
  const options: JwksCacheModuleOptions = { issuers, ...extra };
  validateOptions(options);
  const events = new JwksCacheEvents();
  const created: JwksCacheEventMap['jwks.issuer_created'][] = [];
  const refused: JwksCacheEventMap['jwks.issuer_refused'][] = [];
  events.on('jwks.issuer_created', (payload) => created.push(payload));
  events.on('jwks.issuer_refused', (payload) => refused.push(payload));
  const store = new CacheStore(options, events);
  const provider = new JwksProvider(options, store, events, new OidcDiscovery(options, store));
  providers.push(provider);
  return { provider, created, refused };
}

const providers: JwksProvider[] = [];
const settle = <T>(promise: Promise<T>): Promise<T | Error> => promise.catch((error: Error) => error);

describe('issuer templates (many tenants, one module)', () => {
  let idp: TenantIdp;
  let clock: FakeClock;

  beforeAll(async () => {
    idp = await TenantIdp.start('shared');
  });
  afterAll(async () => {
    await idp.close();
  });
  beforeEach(() => {
    clock = fakeClock();
    idp.requests = 0;
    idp.byPath.clear();
    idp.failing = false;
    idp.mode = 'shared';
  });
  afterEach(() => {
    for (const provider of providers.splice(0)) provider.onModuleDestroy();
    restoreClock();
  });

  const entra = (overrides: Partial<IssuerOptions> = {}): IssuerOptions => ({
    issuer: idp.issuerTemplate,
    jwksUri: idp.commonJwksUri,
    audience: 'api',
    ...overrides,
  });

  describe('key sets keyed by JWKS URI', () => {
    it('serves any number of tenants sharing one jwksUri with one key set and one JWKS request', async () => {
      const { provider, created } = makeProvider([entra()]);
      const tenants = ['acme', 'globex', 'initech', 'umbrella', 'hooli'];
      const results = await Promise.all(tenants.map(async (tenant) => provider.verify(await idp.mint(tenant))));
      expect(results.map(({ issuer, params }) => ({ issuer, params }))).toEqual(
        tenants.map((tenant) => ({ issuer: idp.issuerOf(tenant), params: { tenant } })),
      );
      expect(idp.requests).toBe(1);
      const stats = provider.stats();
      expect(Object.keys(stats.keySets)).toEqual([idp.commonJwksUri]);
      expect(stats.keySets[idp.commonJwksUri]).toMatchObject({ issuers: 5, fetches: 1, keys: 1 });
      expect(stats.issuers[idp.issuerOf('acme')]).toMatchObject({
        template: idp.issuerTemplate,
        params: { tenant: 'acme' },
        jwksUri: idp.commonJwksUri,
        keys: 1,
      });
      expect(stats.templates[idp.issuerTemplate]).toMatchObject({
        live: 5,
        created: 5,
        refused: 0,
        rateLimited: 0,
        evicted: 0,
        failed: 0,
      });
      // In the order the tenants' tokens came in (minting is asynchronous).
      expect(created.map((event) => event.params.tenant).sort()).toEqual([...tenants].sort());
    });

    it('discovers each issuer when the template has no jwksUri, and still fetches a shared jwks_uri once', async () => {
      const { provider } = makeProvider([{ issuer: idp.issuerTemplate, audience: 'api' }]);
      await provider.verify(await idp.mint('acme'));
      await provider.verify(await idp.mint('globex'));
      expect(idp.requestsTo('/t/acme/.well-known/openid-configuration')).toBe(1);
      expect(idp.requestsTo('/t/globex/.well-known/openid-configuration')).toBe(1);
      expect(idp.requestsTo('/common/keys')).toBe(1);
      expect(idp.requests).toBe(3);
    });

    it('gives each tenant its own key set when its jwksUri has the placeholder, and a tenant key does not verify another tenant', async () => {
      idp.mode = 'per-tenant';
      const { provider } = makeProvider([entra({ jwksUri: `${idp.origin}/t/{tenant}/keys` })]);
      await expect(provider.verify(await idp.mint('acme'))).resolves.toMatchObject({ params: { tenant: 'acme' } });
      // Signed with acme's own key, but claiming globex: globex's key set does not hold acme's key.
      const forged = await idp.mint('acme', { tid: 'globex' }, { iss: idp.issuerOf('globex') });
      await expect(provider.verify(forged)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
      expect(Object.keys(provider.stats().keySets).sort()).toEqual([
        `${idp.origin}/t/acme/keys`,
        `${idp.origin}/t/globex/keys`,
      ]);
    });
  });

  describe('a token stays bound to its own issuer when keys are shared', () => {
    it('is not accepted as another tenant: not by an issuer override, not by claimsMatch, not through the verified-token cache', async () => {
      const { provider } = makeProvider([entra({ claimsMatch: { tid: 'tenant' } })]);
      const ofAcme = await idp.mint('acme');
      const first = await provider.verify(ofAcme);
      expect(first).toMatchObject({ issuer: idp.issuerOf('acme'), params: { tenant: 'acme' } });
      await expect(provider.verify(await idp.mint('globex'))).resolves.toMatchObject({
        issuer: idp.issuerOf('globex'),
        params: { tenant: 'globex' },
      });
      // Cached for acme; asked for as globex, the cache key differs and the issuer check runs again.
      expect(provider.verifyCached(ofAcme)).toBe(first);
      const asGlobex = await settle(provider.verify(ofAcme, { issuer: idp.issuerOf('globex') }));
      expect(asGlobex).toBeInstanceOf(UnknownIssuerError);
      // Globex's iss on acme's tid: refused before any key is looked at.
      const before = idp.requests;
      const mixed = await settle(
        provider.verify(await idp.mint('acme', { tid: 'acme' }, { iss: idp.issuerOf('globex') })),
      );
      expect(mixed).toBeInstanceOf(ClaimValidationError);
      expect(mixed).toMatchObject({ claim: 'tid' });
      expect(idp.requests).toBe(before);
      // And the hit is still acme's.
      expect(provider.verifyCached(ofAcme)).toMatchObject({ issuer: idp.issuerOf('acme'), params: { tenant: 'acme' } });
    });
  });

  describe('nothing before the match', () => {
    it.each([
      ['another path', (origin: string) => `${origin}/x/acme`],
      ['two segments', (origin: string) => `${origin}/t/acme/extra`],
      ['a dot-dot tenant', (origin: string) => `${origin}/t/..`],
      ['a dot tenant', (origin: string) => `${origin}/t/.`],
      ['another host', () => 'http://127.0.0.2:1/t/acme'],
      ['an encoded slash', (origin: string) => `${origin}/t/a%2Fb`],
    ])('rejects an iss with %s as an unknown issuer, with no request', async (_why, issOf) => {
      const { provider, created } = makeProvider([entra()]);
      const error = await settle(provider.verify(await idp.mint('acme', {}, { iss: issOf(idp.origin) })));
      expect(error).toBeInstanceOf(UnknownIssuerError);
      expect(idp.requests).toBe(0);
      expect(created).toEqual([]);
    });

    it('asks tenants once per new issuer, however many tokens arrive at once, and remembers a refusal for the cooldown', async () => {
      const asked: string[] = [];
      const customers = new Set(['acme']);
      const { provider, refused } = makeProvider(
        [
          entra({
            tenants: ({ tenant }) => {
              asked.push(tenant);
              return Promise.resolve(customers.has(tenant));
            },
          }),
        ],
        { jwks: { cooldown: 30_000 } },
      );
      const acme = await Promise.all(Array.from({ length: 20 }, () => idp.mint('acme')));
      const evil = await Promise.all(Array.from({ length: 20 }, () => idp.mint('evil')));
      const outcomes = await Promise.all([...acme, ...evil].map((token) => settle(provider.verify(token))));
      expect(outcomes.slice(0, 20).every((outcome) => !(outcome instanceof Error))).toBe(true);
      expect(outcomes.slice(20).every((outcome) => outcome instanceof UnknownIssuerError)).toBe(true);
      expect(asked.sort()).toEqual(['acme', 'evil']);
      expect(idp.requests).toBe(1);
      expect(refused).toEqual([{ template: idp.issuerTemplate, issuer: idp.issuerOf('evil'), reason: 'tenants' }]);
      // Within the cooldown: refused at once, tenants not asked again.
      clock.advance(29_000);
      customers.add('evil');
      await expect(provider.verify(await idp.mint('evil'))).rejects.toBeInstanceOf(UnknownIssuerError);
      expect(asked).toHaveLength(2);
      expect(provider.stats().templates[idp.issuerTemplate]).toMatchObject({ refused: 1, negativeHits: 1 });
      // After it: asked again, and now admitted.
      clock.advance(1_001);
      await expect(provider.verify(await idp.mint('evil'))).resolves.toMatchObject({ params: { tenant: 'evil' } });
      expect(asked).toHaveLength(3);
      expect(idp.requests).toBe(1);
    });

    it('refuses when tenants throws, without keeping its error', async () => {
      const { provider } = makeProvider([
        entra({
          tenants: () => {
            throw new Error('database password is hunter2');
          },
        }),
      ]);
      const error = await settle(provider.verify(await idp.mint('acme')));
      expect(error).toBeInstanceOf(UnknownIssuerError);
      expect(
        JSON.stringify({ message: (error as Error).message, cause: String((error as Error).cause) }),
      ).not.toContain('hunter2');
      expect(idp.requests).toBe(0);
    });

    it('checks the algorithm before admitting: a token that fails a cheap check costs no admission', async () => {
      const { provider } = makeProvider([entra({ algorithms: ['RS256'], newIssuersPerSecond: 1 })]);
      await expect(provider.verify(await idp.mint('acme'))).rejects.toMatchObject({
        code: 'ERR_ALGORITHM_NOT_ALLOWED',
      });
      expect(provider.stats().templates[idp.issuerTemplate]).toMatchObject({ live: 0, rateLimited: 0, created: 0 });
      expect(idp.requests).toBe(0);
    });
  });

  describe('bounds', () => {
    it('costs at most ~11 fetches and stays bounded under 2 000 tokens with random tenants in one second', async () => {
      const { provider, refused } = makeProvider([entra({ jwksUri: `${idp.origin}/t/{tenant}/keys` })]);
      const tokens = await Promise.all(
        Array.from({ length: 2_000 }, (_, i) => idp.mint(`random-${i}-${Math.random().toString(36).slice(2)}`)),
      );
      const outcomes = await Promise.all(tokens.map((token) => settle(provider.verify(token))));
      const verified = outcomes.filter((outcome) => !(outcome instanceof Error)).length;
      expect(verified).toBe(10);
      expect(outcomes.filter((outcome) => outcome instanceof UnknownIssuerError)).toHaveLength(1_990);
      expect(idp.requests).toBeLessThanOrEqual(11);
      expect(provider.stats().templates[idp.issuerTemplate]).toMatchObject({
        live: 10,
        created: 10,
        rateLimited: 1_990,
      });
      expect(refused.filter((event) => event.reason === 'rate_limited')).toHaveLength(1_990);
      expect(JSON.stringify(refused)).not.toContain(tokens[1_999].split('.')[2]);
    });

    it('admits newIssuersPerSecond in any 1-second window, even across a second boundary', async () => {
      const { provider } = makeProvider([entra({ newIssuersPerSecond: 3 })]);
      const verifyNew = async (name: string) => settle(provider.verify(await idp.mint(name)));
      clock.set(Math.floor(clock.start / 1_000) * 1_000 + 900);
      expect(await verifyNew('a1')).not.toBeInstanceOf(Error);
      expect(await verifyNew('a2')).not.toBeInstanceOf(Error);
      clock.advance(200);
      expect(await verifyNew('a3')).not.toBeInstanceOf(Error);
      expect(await verifyNew('a4')).toBeInstanceOf(UnknownIssuerError);
      // A live issuer is never refused by the bound.
      expect(await settle(provider.verify(await idp.mint('a1')))).not.toBeInstanceOf(Error);
      clock.advance(801);
      expect(await verifyNew('a4')).not.toBeInstanceOf(Error);
    });

    it('keeps at most maxIssuers live and as many key sets, and makes an evicted issuer again from the store without a request', async () => {
      const { provider } = makeProvider([
        entra({ jwksUri: `${idp.origin}/t/{tenant}/keys`, maxIssuers: 25, newIssuersPerSecond: 10 }),
      ]);
      for (let round = 0; round < 20; round++) {
        clock.advance(1_001);
        await Promise.all(
          Array.from({ length: 10 }, async (_, i) => provider.verify(await idp.mint(`r${round}-t${i}`))),
        );
        const stats = provider.stats();
        expect(stats.templates[idp.issuerTemplate].live).toBeLessThanOrEqual(25);
        expect(Object.keys(stats.keySets).length).toBeLessThanOrEqual(25);
      }
      const stats = provider.stats();
      expect(stats.templates[idp.issuerTemplate]).toMatchObject({ live: 25, created: 200, evicted: 175 });
      expect(idp.requests).toBe(200);
      // r0-t0 was evicted long ago; its key set is still in the store (fresh for ttl): made again without a request.
      clock.advance(1_001);
      await expect(provider.verify(await idp.mint('r0-t0'))).resolves.toMatchObject({ params: { tenant: 'r0-t0' } });
      expect(idp.requests).toBe(200);
      expect(provider.stats().templates[idp.issuerTemplate]).toMatchObject({ created: 201 });
    });

    it('remembers an issuer whose keys failed for the cooldown: its next tokens cost no request', async () => {
      const { provider, refused } = makeProvider([entra({ jwksUri: `${idp.origin}/t/{tenant}/keys` })], {
        jwks: { cooldown: 30_000 },
      });
      idp.failing = true;
      await expect(provider.verify(await idp.mint('acme'))).rejects.toBeInstanceOf(KeySetUnavailableError);
      const afterFirst = idp.requests;
      expect(afterFirst).toBeGreaterThanOrEqual(1);
      await expect(provider.verify(await idp.mint('acme'))).rejects.toBeInstanceOf(KeySetUnavailableError);
      expect(idp.requests).toBe(afterFirst);
      expect(refused).toEqual([{ template: idp.issuerTemplate, issuer: idp.issuerOf('acme'), reason: 'failed' }]);
      expect(provider.stats().templates[idp.issuerTemplate]).toMatchObject({ live: 0, failed: 1, negativeHits: 1 });
      // A failed issuer holds no key set (nor its background retries).
      expect(provider.stats().keySets).toEqual({});
      idp.failing = false;
      clock.advance(30_001);
      await expect(provider.verify(await idp.mint('acme'))).resolves.toMatchObject({ params: { tenant: 'acme' } });
    });
  });

  describe('the verified-token cache', () => {
    it("refreshes a template key set ahead from cache hits alone, and stops trusting an evicted issuer's hits", async () => {
      const { provider } = makeProvider([entra({ maxIssuers: 1 })], { jwks: { ttl: 60_000, refreshAhead: 30_000 } });
      const ofAcme = await idp.mint('acme');
      await provider.verify(ofAcme);
      expect(idp.requests).toBe(1);
      clock.advance(45_000);
      expect(provider.verifyCached(ofAcme)).toMatchObject({ params: { tenant: 'acme' } });
      await waitUntil(() => idp.requests === 2);
      // globex takes acme's place (maxIssuers 1): acme's cached result is no longer a hit.
      await provider.verify(await idp.mint('globex'));
      expect(provider.verifyCached(ofAcme)).toBeUndefined();
      clock.advance(1_001);
      await expect(provider.verify(ofAcme)).resolves.toMatchObject({
        issuer: idp.issuerOf('acme'),
        params: { tenant: 'acme' },
      });
    });
  });

  describe('beside configured issuers', () => {
    it('prefers a configured issuer equal to iss (no params), and lists only configured issuers in issuerIds()', async () => {
      const { provider } = makeProvider([
        { issuer: idp.issuerOf('acme'), jwksUri: idp.commonJwksUri, audience: 'api' },
        entra(),
      ]);
      await expect(provider.verify(await idp.mint('acme'))).resolves.toMatchObject({
        issuer: idp.issuerOf('acme'),
        params: {},
      });
      await expect(provider.verify(await idp.mint('globex'))).resolves.toMatchObject({ params: { tenant: 'globex' } });
      expect(provider.issuerIds()).toEqual([idp.issuerOf('acme')]);
      expect(provider.stats().templates[idp.issuerTemplate]).toMatchObject({ live: 1 });
    });

    it('answers getKey / getJwks / issuerState for a live issuer of a template, and UnknownIssuerError before it is made', async () => {
      const { provider } = makeProvider([entra()]);
      expect(() => provider.issuerState(idp.issuerOf('acme'))).toThrow(UnknownIssuerError);
      await provider.verify(await idp.mint('acme'));
      expect(provider.issuerState(idp.issuerOf('acme'))).toBe('fresh');
      await expect(provider.getJwks(idp.issuerOf('acme'))).resolves.toMatchObject({ keys: [{ kid: 'common-1' }] });
      expect(() => provider.checkOverrides({ issuer: idp.issuerOf('another'), audience: 'api' })).not.toThrow();
      expect(() => provider.checkOverrides({ issuer: idp.issuerOf('another'), audience: 'other' })).toThrow(TypeError);
      expect(idp.requests).toBe(1);
    });
  });
});
