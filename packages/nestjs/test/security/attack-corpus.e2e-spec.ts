import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { exportJWK } from 'jose';
import { LocalIssuer, generateAttackerKey, signWith, type AttackerKey, type TestAlgorithm } from '@jwks-cache/testing';
import { ClaimValidationError, JwksCacheError } from '@jwks-cache/nestjs';
import { ATTACK_CASES, type AttackCase, type AttackContext, type IssuerKeyHandle } from './attack-cases.js';
import { startGuardedApp, type GuardedApp } from './support/guarded-app.js';

const AUDIENCE = 'orders-api';
const TYP = 'at+jwt';

function keyHandle(idp: LocalIssuer, alg: TestAlgorithm): IssuerKeyHandle {
  const { kid, privateKey } = idp.signingKey(alg);
  const publicJwk = idp.jwks().keys.find((jwk) => jwk.kid === kid);
  if (publicJwk === undefined) throw new Error(`no published ${alg} key`);
  return { kid, privateKey, publicJwk };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('attack corpus: every hostile token is refused, with no request to anyone but the configured issuers', () => {
  let idp: LocalIssuer;
  let hsIdp: LocalIssuer;
  let attackerIdp: LocalIssuer;
  let guarded: GuardedApp;
  let context: AttackContext;
  /** Every token sent, to check that none reached the logs. */
  const sentTokens: string[] = [];

  beforeAll(async () => {
    [idp, hsIdp, attackerIdp] = await Promise.all([
      LocalIssuer.start({ algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'] }),
      LocalIssuer.start({ algorithms: ['RS256'] }),
      LocalIssuer.start({ algorithms: ['RS256'] }),
    ]);
    guarded = await startGuardedApp({
      issuers: [
        { issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE, verify: { typ: TYP, maxTokenAge: 86_400_000 } },
        {
          issuer: hsIdp.issuer,
          jwksUri: hsIdp.jwksUri,
          audience: AUDIENCE,
          algorithms: ['RS256', 'HS256'],
          allowSymmetricAlgorithms: true,
          verify: { typ: TYP },
        },
      ],
    });
    // The attacker's kid must differ from the issuer's (both kits start at "rs256-1").
    await attackerIdp.rotate('RS256');
    attackerIdp.retire(attackerIdp.publishedKids()[0]);
    const attackerSigning = attackerIdp.signingKey('RS256');
    const attackerRsa: AttackerKey = {
      privateKey: attackerSigning.privateKey as AttackerKey['privateKey'],
      publicJwk: attackerIdp.jwks().keys.find((jwk) => jwk.kid === attackerSigning.kid)!,
    };
    context = {
      issuer: idp.issuer,
      audience: AUDIENCE,
      typ: TYP,
      keys: {
        RS256: keyHandle(idp, 'RS256'),
        PS256: keyHandle(idp, 'PS256'),
        ES256: keyHandle(idp, 'ES256'),
        EdDSA: keyHandle(idp, 'EdDSA'),
      },
      hsIssuer: { issuer: hsIdp.issuer, rsa: keyHandle(hsIdp, 'RS256') },
      attacker: { RS256: attackerRsa, ES256: await generateAttackerKey('ES256') },
      attackerIssuer: attackerIdp.issuer,
      attackerJwksUri: attackerIdp.jwksUri,
      attackerKid: attackerSigning.kid,
      now: Math.floor(Date.now() / 1000),
    };
  });

  afterAll(async () => {
    await guarded?.close();
    await Promise.all([idp?.close(), hsIdp?.close(), attackerIdp?.close()]);
  });

  it('has at least 40 cases, each with a distinct name and a one-line reason', () => {
    expect(ATTACK_CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(ATTACK_CASES.map((row) => row.name)).size).toBe(ATTACK_CASES.length);
    for (const row of ATTACK_CASES) expect(row.reason).toMatch(/^[^\n]{10,}$/);
  });

  it('control: a well-formed token of each configured issuer passes the guard and verify', async () => {
    const claims = { aud: AUDIENCE, sub: 'alice' };
    for (const token of [
      await idp.mint(claims, { header: { typ: TYP } }),
      await hsIdp.mint(claims, { header: { typ: TYP } }),
    ]) {
      sentTokens.push(token);
      const response = await request(guarded.server).get('/guarded').set('Authorization', `Bearer ${token}`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ sub: 'alice' });
      await expect(guarded.provider.verify(token)).resolves.toMatchObject({ payload: { sub: 'alice' } });
    }
  });

  async function expectRefused(row: AttackCase): Promise<void> {
    const token = row.token(context);
    sentTokens.push(token);

    const response = await request(guarded.server).get('/guarded').set('Authorization', `Bearer ${token}`);
    const expectedStatus = row.httpStatus ?? 401;
    expect(response.status).toBe(expectedStatus);
    expect(response.headers['www-authenticate']).toContain(
      expectedStatus === 401 ? 'error="invalid_token"' : 'error="invalid_request"',
    );

    const error = await rejectionOf(guarded.provider.verify(token));
    expect(error).toBeInstanceOf(row.expected);
    expect((error as JwksCacheError).code).toBe(row.expected.code);
    if (row.claim !== undefined) expect((error as ClaimValidationError).claim).toBe(row.claim);

    expect(attackerIdp.requests.total).toBe(0);
  }

  it.each(ATTACK_CASES.filter((row) => row.knownGap === undefined).map((row) => [row.name, row] as const))(
    '%s',
    (_name, row) => expectRefused(row),
  );

  // Reported gaps: these fail today; each flips to red once the library refuses the token.
  const knownGaps = ATTACK_CASES.filter((row) => row.knownGap !== undefined).map((row) => [row.name, row] as const);
  if (knownGaps.length > 0) it.failing.each(knownGaps)('known gap: %s', (_name, row) => expectRefused(row));

  it('never follows jku/x5u even on a token the issuer really signed: it verifies with the configured key only', async () => {
    const token = signWith(
      context.keys.RS256.privateKey,
      {
        alg: 'RS256',
        kid: context.keys.RS256.kid,
        typ: TYP,
        jku: attackerIdp.jwksUri,
        x5u: `${attackerIdp.issuer}/cert.pem`,
      },
      { iss: idp.issuer, aud: AUDIENCE, sub: 'alice', iat: context.now, exp: context.now + 600 },
    );
    sentTokens.push(token);
    await expect(guarded.provider.verify(token)).resolves.toMatchObject({ issuer: idp.issuer });
    expect(attackerIdp.requests.total).toBe(0);
  });

  it('made no request to the attacker and at most one JWKS request per configured issuer over the whole corpus', () => {
    expect(attackerIdp.requests.total).toBe(0);
    // The warm-up fetch; every unknown kid after it fell within the 30 s cooldown.
    expect(idp.requests.jwks).toBeLessThanOrEqual(2);
    expect(hsIdp.requests.jwks).toBeLessThanOrEqual(2);
    expect(idp.requests.total).toBe(idp.requests.jwks);
    expect(hsIdp.requests.total).toBe(hsIdp.requests.jwks);
  });

  it('wrote no token, no token part and no private key material to the logs', async () => {
    expect(guarded.logs.lines.length).toBeGreaterThan(0);
    expect(guarded.logs.leaked(sentTokens)).toEqual([]);
    const privateParts = await Promise.all(
      [context.keys.RS256.privateKey, context.attacker.RS256.privateKey].map(async (key) => (await exportJWK(key)).d!),
    );
    expect(guarded.logs.leaked(privateParts)).toEqual([]);
  });
});
