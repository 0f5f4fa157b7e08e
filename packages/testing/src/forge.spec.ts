import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, KeyObject, type webcrypto } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { generateAttackerKey, LocalIssuer, signWith, unsignedToken } from './index.js';

const decodeSegment = (segment: string) => Buffer.from(segment, 'base64url').toString('utf8');

describe('forging helpers', () => {
  let idp: LocalIssuer;

  beforeAll(async () => {
    idp = await LocalIssuer.start({ algorithms: ['RS256', 'PS256', 'ES384', 'EdDSA'] });
  });

  afterAll(async () => {
    await idp.close();
  });

  it.each(['RS256', 'PS256', 'ES384', 'EdDSA'] as const)(
    'signWith produces a %s signature jose verifies',
    async (alg) => {
      const { kid, privateKey } = idp.signingKey(alg);
      const token = signWith(privateKey, { alg, kid }, { iss: idp.issuer, sub: 'forged-but-valid' });
      const { payload } = await jwtVerify(token, createLocalJWKSet(idp.jwks()), { issuer: idp.issuer });
      expect(payload.sub).toBe('forged-but-valid');
    },
  );

  it('signWith keys HS256 with any bytes, such as the issuer public key PEM (algorithm confusion)', async () => {
    const publicJwk = idp.jwks().keys[0];
    const publicKey = (await importJWK(publicJwk, 'RS256', { extractable: true })) as webcrypto.CryptoKey;
    const pem = KeyObject.from(publicKey).export({ type: 'spki', format: 'pem' }) as string;
    const token = signWith(pem, { alg: 'HS256', kid: publicJwk.kid }, { sub: 'mallory' });
    await expect(jwtVerify(token, new TextEncoder().encode(pem))).resolves.toMatchObject({
      payload: { sub: 'mallory' },
    });
    await expect(jwtVerify(token, createLocalJWKSet(idp.jwks()))).rejects.toThrow();
  });

  it('signWith accepts a Node KeyObject and a PEM private key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const fromKeyObject = signWith(privateKey, { alg: 'ES256' }, { n: 1 });
    const fromPem = signWith(privateKey.export({ type: 'pkcs8', format: 'pem' }), { alg: 'ES256' }, { n: 2 });
    await expect(jwtVerify(fromKeyObject, publicKey)).resolves.toMatchObject({ payload: { n: 1 } });
    await expect(jwtVerify(fromPem, publicKey)).resolves.toMatchObject({ payload: { n: 2 } });
  });

  it('signWith refuses a header without alg and an unknown alg', () => {
    const { privateKey } = idp.signingKey('RS256');
    expect(() => signWith(privateKey, {}, {})).toThrow(TypeError);
    expect(() => signWith(privateKey, { alg: 'XS256' }, {})).toThrow(/unsupported alg/);
  });

  it('unsignedToken builds alg none tokens and raw malformed segments', () => {
    const token = unsignedToken(undefined, { sub: 'nobody' });
    expect(token.endsWith('.')).toBe(true);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'none' });
    expect(decodeJwt(token)).toEqual({ sub: 'nobody' });
    const malformed = unsignedToken('{"alg":"RS256"', 'not json');
    const [header, payload, signature] = malformed.split('.');
    expect([decodeSegment(header), decodeSegment(payload), signature]).toEqual(['{"alg":"RS256"', 'not json', '']);
  });

  it('generateAttackerKey gives a key the issuer does not know, with a public-only JWK', async () => {
    const attacker = await generateAttackerKey('EdDSA');
    expect(attacker.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(attacker.publicJwk).not.toHaveProperty('d');
    const token = await idp.mint({}, { alg: 'EdDSA', key: attacker.privateKey });
    await expect(jwtVerify(token, createLocalJWKSet(idp.jwks()))).rejects.toThrow(/signature verification failed/);
    await expect(
      jwtVerify(token, createLocalJWKSet({ keys: [{ ...attacker.publicJwk, kid: 'eddsa-1' }] })),
    ).resolves.toBeDefined();
  });
});
