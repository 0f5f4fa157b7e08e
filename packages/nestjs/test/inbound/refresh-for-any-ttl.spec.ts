import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { LocalIssuer } from '@jwks-cache/testing';
import type { JwksProvider } from '../../src/jwks/jwks-provider.js';
import { createProvider } from '../support/jwks-provider.js';
import type { JwksOptions } from '../../src/config/options.js';

const T0 = Date.UTC(2030, 0, 1);
/** How long the IdP takes to answer a JWKS request, on the fake clock. */
const IDP_DELAY = 2_000;
const STEP = 100;

/**
 * Fakes `Date` and the timers (the LocalIssuer's answer delay among them), so "the IdP takes 2 s"
 * is 2 s of the fake clock, advanced by the test; sockets, `setImmediate` and microtasks stay real.
 */
function useFakeClock(): void {
  jest.useFakeTimers({
    doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'queueMicrotask', 'hrtime', 'performance'],
    now: T0,
  });
}

/**
 * Advances the fake clock by `STEP` (which may let the IdP answer) and verifies one token. A
 * verify that waited for the IdP would never settle here: the IdP's answer needs the clock to
 * move, and the clock only moves once the verify has settled.
 */
async function stepAndVerify(provider: JwksProvider, token: string): Promise<void> {
  jest.advanceTimersByTime(STEP);
  await provider.verify(token);
}

describe('no request waits on the IdP for a kid it holds, whatever the ttl (issue 13, item 2)', () => {
  const cleanup: (() => unknown)[] = [];

  afterEach(async () => {
    jest.useRealTimers();
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function start(jwks: JwksOptions) {
    const idp = await LocalIssuer.start({ algorithms: ['ES256'] });
    cleanup.push(() => idp.close());
    useFakeClock();
    // The verified-token cache off: every request goes to the key set.
    const { provider } = createProvider({
      issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }],
      jwks,
      verify: { verifiedTokenCacheSize: 0 },
    });
    cleanup.push(() => provider.onModuleDestroy());
    const token = await idp.mint({}, { expiresIn: 3_600 });
    await provider.verify(token); // the cold start: the one request that waits
    idp.slow(IDP_DELAY);
    return { idp, provider, token, stats: () => provider.stats().issuers[idp.issuer] };
  }

  it('ttl 3000 (below refreshAhead), IdP taking 2 s: steady requests for 12 s never wait, and each refresh is one request', async () => {
    const { idp, provider, token, stats } = await start({ ttl: 3_000 });
    const before = idp.requests.jwks;
    let refreshes = 0;
    let freshUntil = stats().freshUntil;
    for (let elapsed = 0; elapsed < 12_000; elapsed += STEP) {
      await stepAndVerify(provider, token);
      if (stats().freshUntil !== freshUntil) [refreshes, freshUntil] = [refreshes + 1, stats().freshUntil];
    }
    // Refresh-ahead starts half-way through the 3 s of freshness; each refresh takes 2 s, so the
    // set is replaced about every 3.5 s: 3 times in 12 s.
    expect(refreshes).toBeGreaterThanOrEqual(3);
    expect(idp.requests.jwks - before).toBeLessThanOrEqual(refreshes + 1);
    // Only the cold start had to load; every other lookup was served from memory.
    expect(stats()).toMatchObject({ misses: 1, fetchErrors: 0 });
  });

  it('without refresh-ahead, past freshness the previous set serves while one refresh runs (stale-while-revalidate)', async () => {
    const { idp, provider, token, stats } = await start({ ttl: 3_000, refreshAhead: 0 });
    const before = idp.requests.jwks;
    jest.advanceTimersByTime(3_000);
    for (let elapsed = 0; elapsed < IDP_DELAY + 1_000; elapsed += STEP) await stepAndVerify(provider, token);
    expect(idp.requests.jwks - before).toBe(1);
    expect(stats().freshUntil).toBeGreaterThan(T0 + 3_000);
    expect(stats()).toMatchObject({ misses: 1, state: 'fresh' });
    expect(stats().revalidatingServes).toBeGreaterThanOrEqual(IDP_DELAY / STEP);
  });

  it('serves a set past freshness for at most timeout ms: beyond it, a request waits for the refresh in flight', async () => {
    const { idp, provider, token, stats } = await start({ ttl: 3_000, refreshAhead: 0, timeout: 1_000 });
    idp.slow(60_000);
    jest.advanceTimersByTime(3_000);
    const before = idp.requests.jwks;
    await provider.verify(token); // served while-revalidating; starts the refresh
    expect(stats()).toMatchObject({ misses: 1, revalidatingServes: 1 });
    // The IdP starts its 60 s only once the request reached it.
    while (idp.requests.jwks === before) await new Promise((resolve) => setImmediate(resolve));
    jest.advanceTimersByTime(1_000);
    // Past freshness + timeout: the next lookup has to load (it joins the refresh in flight).
    const waiting = provider.verify(token);
    expect(stats()).toMatchObject({ misses: 2, revalidatingServes: 1 });
    jest.advanceTimersByTime(60_000);
    await expect(waiting).resolves.toMatchObject({ issuer: idp.issuer });
    expect(stats()).toMatchObject({ fetches: 2, fetchErrors: 0, state: 'fresh' });
  });
});
