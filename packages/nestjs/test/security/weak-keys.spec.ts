import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { compactVerify, importJWK, jwtVerify, type JWK } from 'jose';
import { NoMatchingKeyError } from '../../src/errors.js';
import type { JwksProvider } from '../../src/jwks/jwks-provider.js';
import { createProvider, outcome, serveJson } from '../support/jwks-provider.js';

/** The DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2, note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');
const segment = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * An RS256 JWT made without any private key: with e = 1, s^e mod n = s, so the "signature" is the
 * PKCS#1 v1.5 encoding of the hash itself, 0x00 0x01 FF…FF 0x00 DigestInfo(SHA-256(input)).
 */
function forgeWithExponentOne(modulusBytes: number, header: object, claims: object): string {
  const input = `${segment(header)}.${segment(claims)}`;
  const digestInfo = Buffer.concat([SHA256_DIGEST_INFO, createHash('sha256').update(input).digest()]);
  const padding = Buffer.alloc(modulusBytes - 3 - digestInfo.length, 0xff);
  const encoded = Buffer.concat([Buffer.from([0x00, 0x01]), padding, Buffer.from([0x00]), digestInfo]);
  return `${input}.${encoded.toString('base64url')}`;
}

/** An EdDSA JWT for the Ed25519 identity point: R = identity, S = 0 satisfies [S]B = R + [k]A for any k. */
function forgeWithIdentityPoint(header: object, claims: object): string {
  const identity = Buffer.alloc(32);
  identity[0] = 1;
  return `${segment(header)}.${segment(claims)}.${Buffer.concat([identity, Buffer.alloc(32)]).toString('base64url')}`;
}

const publicJwk = (type: 'rsa' | 'ec', options: object): JWK =>
  generateKeyPairSync(type as 'rsa', options as { modulusLength: number }).publicKey.export({ format: 'jwk' });

describe('weak public keys are skipped, so no forgery passes (issue 13, item 4)', () => {
  let server: Awaited<ReturnType<typeof serveJson>>;
  let provider: JwksProvider;
  let issuer: string;
  const now = Math.floor(Date.now() / 1000);
  let claims: object;
  const rsa2048 = publicJwk('rsa', { modulusLength: 2048 });
  const exponentOne: JWK = { ...rsa2048, e: 'AQ', kid: 'e-one', alg: 'RS256' };
  const identityEd25519: JWK = {
    kty: 'OKP',
    crv: 'Ed25519',
    x: Buffer.from([1, ...new Array<number>(31).fill(0)]).toString('base64url'),
    kid: 'ed-identity',
  };
  const rsa1024: JWK = { ...publicJwk('rsa', { modulusLength: 1024 }), kid: 'rsa-1024', alg: 'RS256' };
  const good: JWK = { ...publicJwk('ec', { namedCurve: 'P-256' }), kid: 'good', alg: 'ES256' };

  beforeAll(async () => {
    server = await serveJson(() => ({ body: { keys: [good, exponentOne, identityEd25519, rsa1024] } }));
    issuer = `${server.url}/`;
    claims = { iss: issuer, sub: 'attacker', iat: now, exp: now + 600 };
    ({ provider } = createProvider({ issuers: [{ issuer, jwksUri: `${server.url}/jwks` }] }));
    await provider.refresh(issuer);
  });

  afterAll(async () => {
    provider.onModuleDestroy();
    await server.close();
  });

  it('control: the forgeries are real, i.e. they verify with the weak keys themselves', async () => {
    const rsaForgery = forgeWithExponentOne(256, { alg: 'RS256', kid: 'e-one' }, claims);
    await expect(compactVerify(rsaForgery, await importJWK(exponentOne, 'RS256'))).resolves.toBeDefined();
    const edForgery = forgeWithIdentityPoint({ alg: 'EdDSA', kid: 'ed-identity' }, claims);
    await expect(compactVerify(edForgery, await importJWK(identityEd25519, 'EdDSA'))).resolves.toBeDefined();
  });

  it('skips and counts the e = 1, identity-point and 1024-bit keys; keeps the good one', async () => {
    expect((await provider.getJwks(issuer)).keys.map((key) => key.kid)).toEqual(['good']);
    expect(provider.stats().issuers[issuer]).toMatchObject({ keys: 1, skippedKeys: 3 });
  });

  it.each([
    ['RSA e = 1, with its kid', () => forgeWithExponentOne(256, { alg: 'RS256', kid: 'e-one' }, claims)],
    ['RSA e = 1, without a kid', () => forgeWithExponentOne(256, { alg: 'RS256' }, claims)],
    [
      'Ed25519 identity point, with its kid',
      () => forgeWithIdentityPoint({ alg: 'EdDSA', kid: 'ed-identity' }, claims),
    ],
    ['Ed25519 identity point, without a kid', () => forgeWithIdentityPoint({ alg: 'EdDSA' }, claims)],
  ])('refuses a token forged for the %s with a NoMatchingKeyError', async (_name, forge) => {
    const token = forge();
    await expect(provider.verify(token)).rejects.toBeInstanceOf(NoMatchingKeyError);
    const viaResolver = await outcome(jwtVerify(token, provider.keyResolver(issuer)));
    expect(viaResolver).toBeInstanceOf(NoMatchingKeyError);
  });

  it("never hands out the 1024-bit key: getKey and keyResolver refuse with a typed error, not jose's TypeError", async () => {
    const getKey = await outcome(provider.getKey(issuer, { kid: 'rsa-1024', alg: 'RS256' }));
    expect(getKey).toBeInstanceOf(NoMatchingKeyError);
    const resolver = provider.keyResolver(issuer);
    const resolved = await outcome(
      Promise.resolve().then(() => resolver({ alg: 'RS256', kid: 'rsa-1024' }, { payload: '', signature: '' })),
    );
    expect(resolved).toBeInstanceOf(NoMatchingKeyError);
  });
});
