import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { createHmac, randomBytes } from 'node:crypto';
import { JwksProvider, JwksCacheModule, NoMatchingKeyError, type JwksCacheError } from '@jwks-cache/nestjs';
import { fakeClock, restoreClock, type FakeClock } from '../../../../test/support/fake-clock.js';
import { ScriptedServer } from '../security/support/scripted-server.js';

const ISSUER = 'https://flood.issuer.test';
/** 20 times the verified-token bound and 2 000 times the imported-key bound: enough to prove both hold. */
const FLOOD = 20_000;
const BATCH = 2_000;
const VERIFIED_TOKEN_BOUND = 1_000;
const IMPORTED_KEY_BOUND = 10;
/** More published keys than the imported-key bound, so that bound is what limits that cache. */
const PUBLISHED_KEYS = 40;
const COOLDOWN = 30_000;

const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** HS256 by hand: minting a distinct token costs one HMAC. */
function hs256(secret: Buffer, kid: string, payload: object): string {
  const signingInput = `${encode({ alg: 'HS256', kid })}.${encode(payload)}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}

/** Runs `count` verifications, `BATCH` at a time, and returns how each one ended. */
async function flood(
  provider: JwksProvider,
  count: number,
  tokenAt: (i: number) => string,
): Promise<{ verified: number; errors: Map<string, number> }> {
  const errors = new Map<string, number>();
  let verified = 0;
  for (let start = 0; start < count; start += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - start) }, (_, offset) => tokenAt(start + offset));
    const outcomes = await Promise.allSettled(batch.map((token) => provider.verify(token)));
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') verified++;
      else {
        const code = (outcome.reason as JwksCacheError).code;
        errors.set(code, (errors.get(code) ?? 0) + 1);
      }
    }
  }
  return { verified, errors };
}

describe('memory bounds under a flood (20 000 tokens, bounds of 1 000 / 10)', () => {
  let jwks: ScriptedServer;
  let moduleRef: TestingModule;
  let provider: JwksProvider;
  /** Stands still during each flood: however long a flood takes, no ttl or cooldown passes during it. */
  let clock: FakeClock;
  const secrets = Array.from({ length: PUBLISHED_KEYS }, () => randomBytes(32));

  beforeAll(async () => {
    clock = fakeClock();
    jwks = await ScriptedServer.start();
    jwks.serve(
      JSON.stringify({
        keys: secrets.map((secret, i) => ({
          kty: 'oct',
          kid: `hs-${i}`,
          alg: 'HS256',
          k: secret.toString('base64url'),
        })),
      }),
    );
    moduleRef = await Test.createTestingModule({
      imports: [
        JwksCacheModule.forRoot({
          issuers: [
            { issuer: ISSUER, jwksUri: `${jwks.origin}/jwks`, algorithms: ['HS256'], allowSymmetricAlgorithms: true },
          ],
          verify: { verifiedTokenCacheSize: VERIFIED_TOKEN_BOUND },
          jwks: { importedKeyCacheSize: IMPORTED_KEY_BOUND, cooldown: COOLDOWN },
        }),
      ],
    }).compile();
    await moduleRef.init();
    provider = moduleRef.get(JwksProvider);
  });

  afterAll(async () => {
    await moduleRef?.close();
    await jwks?.close();
    restoreClock();
  });

  it(`${FLOOD} distinct valid tokens, signed by ${PUBLISHED_KEYS} keys, all verify and leave both caches at their bound`, async () => {
    const exp = Math.floor(Date.now() / 1000) + 3_600;
    const outcome = await flood(provider, FLOOD, (i) =>
      hs256(secrets[i % PUBLISHED_KEYS], `hs-${i % PUBLISHED_KEYS}`, { iss: ISSUER, exp, jti: `valid-${i}` }),
    );

    expect(outcome.verified).toBe(FLOOD);
    const stats = provider.stats();
    expect(stats.verifiedTokens.size).toBe(VERIFIED_TOKEN_BOUND);
    expect(stats.importedKeys.size).toBeLessThanOrEqual(IMPORTED_KEY_BOUND);
    expect(stats.issuers[ISSUER]).toMatchObject({ keys: PUBLISHED_KEYS });
    expect(jwks.requests).toBe(1);
  }, 120_000);

  it(`${FLOOD} distinct unknown kids are refused from the cooldown after one refetch, with no growth anywhere`, async () => {
    clock.advance(COOLDOWN + 1_000);
    const attackerSecret = randomBytes(32);
    const exp = Math.floor(Date.now() / 1000) + 3_600;
    const unknownKidToken = (i: number) =>
      hs256(attackerSecret, `unknown-${i}-${'k'.repeat(64)}`, { iss: ISSUER, exp });
    // Past the cooldown, the first unknown kid refetches (and is refused: the issuer does not publish it).
    await expect(provider.verify(unknownKidToken(-1))).rejects.toBeInstanceOf(NoMatchingKeyError);
    expect(jwks.requests).toBe(2);
    const before = provider.stats();

    const outcome = await flood(provider, FLOOD, unknownKidToken);

    expect(outcome.verified).toBe(0);
    expect(outcome.errors).toEqual(new Map([[NoMatchingKeyError.code, FLOOD]]));
    const after = provider.stats();
    expect(after.verifiedTokens.size).toBe(before.verifiedTokens.size);
    expect(after.importedKeys.size).toBe(before.importedKeys.size);
    expect(after.issuers[ISSUER].cooldownRejections - before.issuers[ISSUER].cooldownRejections).toBe(FLOOD);
    expect(after.issuers[ISSUER]).toMatchObject({ keys: PUBLISHED_KEYS, skippedKeys: 0 });
    expect(jwks.requests).toBe(2);
  }, 120_000);
});
