import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import fc from 'fast-check';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { LocalIssuer, signWith } from '@jwks-cache/testing';
import { FetchError, JwksCacheError, JwksCacheModule, JwksProvider, type VerifiedToken } from '@jwks-cache/nestjs';
import {
  arbitraryTokenText,
  forgedTokenArbitrary,
  perturbedClaimsArbitrary,
  sparseHeaderExtrasArbitrary,
  jwksBodyArbitrary,
  mutate,
  mutationArbitrary,
  type TokenUniverse,
} from './fuzz-arbitraries.js';
import { ScriptedServer } from './support/scripted-server.js';
import { fakeClock, restoreClock } from '../../../../test/support/fake-clock.js';

/** Seeded and bounded: the same runs every time, a few seconds in all. */
const RUNS = { seed: 42, numRuns: 300 } as const;
/**
 * `Date` stands still at this instant for the whole file: claims are generated around "now" and
 * checked against it later, so the same seed gives the same inputs and verdicts on every run,
 * however long a run takes.
 */
const NOW = Date.UTC(2030, 0, 1);
const AUDIENCE = 'orders-api';
const VERIFIED_TOKEN_BOUND = 50;
const IMPORTED_KEY_BOUND = 8;
/**
 * No verify may take this long: every input is local (a verify takes milliseconds), so longer
 * means it hangs. Generous, so a busy machine never reaches it; below the 30 s test timeout.
 */
const HANG_LIMIT_MS = 15_000;

type Outcome = { ok: true; result: VerifiedToken } | { ok: false; error: unknown };

/** Settles `verify` into an outcome, failing loudly if it does not settle in time. */
async function outcomeOf(provider: JwksProvider, token: string): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`verify did not settle within ${HANG_LIMIT_MS} ms`)), HANG_LIMIT_MS);
  });
  try {
    const result = await Promise.race([provider.verify(token), hang]);
    return { ok: true, result };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('verify did not settle')) throw error;
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}

function expectTypedRejection(outcome: Outcome): void {
  expect(outcome.ok).toBe(false);
  if (!outcome.ok) expect(outcome.error).toBeInstanceOf(JwksCacheError);
}

describe('fuzzing JwksProvider (fast-check, seed 42)', () => {
  let idp: LocalIssuer;
  let scripted: ScriptedServer;
  let foreign: ScriptedServer;
  let moduleRef: TestingModule;
  let provider: JwksProvider;
  let universe: TokenUniverse;
  /** The scripted issuer's one real key, and a token it signed. */
  let scriptedKey: { publicJwk: JWK; token: string };
  const scriptedIssuer = 'https://scripted.issuer.test';

  beforeAll(async () => {
    fakeClock(NOW);
    [idp, scripted, foreign] = await Promise.all([
      LocalIssuer.start({ algorithms: ['RS256', 'ES256', 'EdDSA'] }),
      ScriptedServer.start(),
      ScriptedServer.start(),
    ]);
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid: 'scripted-1', alg: 'ES256', use: 'sig' };
    const now = Math.floor(Date.now() / 1000);
    scriptedKey = {
      publicJwk,
      token: signWith(
        privateKey,
        { alg: 'ES256', kid: 'scripted-1' },
        { iss: scriptedIssuer, iat: now, exp: now + 3600 },
      ),
    };
    scripted.serve(JSON.stringify({ keys: [publicJwk] }));

    moduleRef = await Test.createTestingModule({
      imports: [
        JwksCacheModule.forRoot({
          issuers: [
            { issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE },
            { issuer: scriptedIssuer, jwksUri: `${scripted.origin}/jwks` },
          ],
          verify: { verifiedTokenCacheSize: VERIFIED_TOKEN_BOUND },
          jwks: { importedKeyCacheSize: IMPORTED_KEY_BOUND },
        }),
      ],
    })
      .setLogger({ log() {}, error() {}, warn() {} })
      .compile();
    await moduleRef.init();
    provider = moduleRef.get(JwksProvider);
    universe = {
      issuer: idp.issuer,
      foreignIssuer: foreign.origin,
      knownKids: idp.publishedKids(),
      audience: AUDIENCE,
    };
  });

  afterAll(async () => {
    await moduleRef?.close();
    await Promise.all([idp?.close(), scripted?.close(), foreign?.close()]);
    restoreClock();
  });

  it('arbitrary text is always refused with a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryTokenText, async (text) => {
        expectTypedRejection(await outcomeOf(provider, text));
      }),
      RUNS,
    );
  });

  it('forged 3-part tokens (random headers, claims, signatures) are always refused with a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(forgedTokenArbitrary(universe), async (token) => {
        expectTypedRejection(await outcomeOf(provider, token));
      }),
      RUNS,
    );
  });

  it('tokens the issuer really signed, with perturbed claims and headers, verify only when every check holds', async () => {
    const validClaims = () => {
      const now = Math.floor(Date.now() / 1000);
      return { iss: idp.issuer, aud: AUDIENCE, sub: 'alice', iat: now, exp: now + 600 };
    };
    let verified = 0;
    await fc.assert(
      fc.asyncProperty(
        perturbedClaimsArbitrary(universe, validClaims),
        sparseHeaderExtrasArbitrary(universe),
        async (claims, header) => {
          const token = await idp.mint(claims, { header, omit: ['iss', 'sub', 'iat', 'exp'] });
          const outcome = await outcomeOf(provider, token);
          if (!outcome.ok) {
            expect(outcome.error).toBeInstanceOf(JwksCacheError);
            return;
          }
          verified++;
          // Whatever passed was meant for us, from our issuer, current, and had no crit header.
          const { payload, protectedHeader } = outcome.result;
          const nowSeconds = Date.now() / 1000;
          expect(payload.iss).toBe(idp.issuer);
          expect(payload.aud === AUDIENCE || (Array.isArray(payload.aud) && payload.aud.includes(AUDIENCE))).toBe(true);
          if (payload.exp !== undefined) expect(payload.exp).toBeGreaterThan(nowSeconds - 5);
          if (payload.nbf !== undefined) expect(payload.nbf).toBeLessThanOrEqual(nowSeconds + 5);
          expect(protectedHeader.crit).toBeUndefined();
        },
      ),
      RUNS,
    );
    // Both branches ran: some tokens passed every check, most failed one.
    expect(verified).toBeGreaterThan(0);
    expect(verified).toBeLessThan(RUNS.numRuns);
  });

  it('mutations of a valid token (bit flips, part swaps, truncations, insertions) never verify as anything else', async () => {
    const original = await idp.mint({ aud: AUDIENCE, sub: 'alice' });
    const expected = (await provider.verify(original)).payload;
    await fc.assert(
      fc.asyncProperty(mutationArbitrary, async (mutation) => {
        const outcome = await outcomeOf(provider, mutate(original, mutation));
        // An edit that decodes to the same bytes may verify, but only ever as the original.
        if (outcome.ok) expect(outcome.result.payload).toEqual(expected);
        else expect(outcome.error).toBeInstanceOf(JwksCacheError);
      }),
      RUNS,
    );
  });

  it('arbitrary JWKS bodies are either accepted as a valid set or rejected with a typed error, keeping the last good set', async () => {
    let lastGood = (await provider.getJwks(scriptedIssuer)).keys;
    const outcomes = { accepted: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(jwksBodyArbitrary([scriptedKey.publicJwk as Record<string, unknown>]), async (body) => {
        scripted.serve(body);
        const refreshed = await provider.refresh(scriptedIssuer).then(
          () => true,
          (error: unknown) => {
            expect(error).toBeInstanceOf(FetchError);
            return false;
          },
        );
        const current = (await provider.getJwks(scriptedIssuer)).keys;
        outcomes[refreshed ? 'accepted' : 'rejected']++;
        if (refreshed) lastGood = current;
        else expect(current).toEqual(lastGood);
        // Whatever is trusted is a public signing key: no private parts, no secrets.
        for (const jwk of current) {
          expect(jwk).not.toHaveProperty('d');
          expect(jwk.kty).not.toBe('oct');
          expect(jwk.use === undefined || jwk.use === 'sig').toBe(true);
        }
      }),
      { ...RUNS, numRuns: 200 },
    );
    expect(outcomes.accepted).toBeGreaterThan(0);
    expect(outcomes.rejected).toBeGreaterThan(0);
    scripted.serve(JSON.stringify({ keys: [scriptedKey.publicJwk] }));
    await provider.refresh(scriptedIssuer);
    await expect(provider.verify(scriptedKey.token)).resolves.toMatchObject({ issuer: scriptedIssuer });
  });

  it('left every cache within its bound and made no request to a foreign origin', async () => {
    // More distinct valid tokens than the verified-token bound, so the bound is what limits it.
    const tokens = await Promise.all(
      Array.from({ length: VERIFIED_TOKEN_BOUND * 2 }, (_, i) => idp.mint({ aud: AUDIENCE, jti: `t-${i}` })),
    );
    for (const token of tokens) await provider.verify(token);
    const stats = provider.stats();
    expect(stats.verifiedTokens.size).toBe(VERIFIED_TOKEN_BOUND);
    expect(stats.importedKeys.size).toBeLessThanOrEqual(IMPORTED_KEY_BOUND);
    expect(foreign.requests).toBe(0);
  });
});
