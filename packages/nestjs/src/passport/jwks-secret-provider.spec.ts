import { describe, expect, it } from '@jest/globals';
import { type CryptoKey, generateKeyPair } from 'jose';
import { createPublicKey, KeyObject } from 'node:crypto';
import { AlgorithmNotAllowedError, HeaderNotAllowedError, TokenMalformedError, UnknownIssuerError } from '../errors.js';
import type { JwksProvider } from '../jwks/jwks-provider.js';
import { jwksSecretProvider } from './jwks-secret-provider.js';

const ISSUER = 'https://idp.test/';
const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const tokenWith = (header: Record<string, unknown>, claims: Record<string, unknown> = { iss: ISSUER }): string =>
  `${segment(header)}.${segment(claims)}.c2ln`;

/** Records `getKey` calls and answers with a fixed key. */
function fakeProvider(key: CryptoKey | Uint8Array) {
  const calls: [string, { kid?: string; alg: string }][] = [];
  const provider = {
    getKey(issuer: string, header: { kid?: string; alg: string }) {
      calls.push([issuer, header]);
      return Promise.resolve(key);
    },
  };
  return { provider: provider as unknown as JwksProvider, calls };
}

function secretFor(provider: JwksProvider, token: string, issuer?: string): Promise<string | Buffer | undefined> {
  return new Promise((resolve, reject) => {
    jwksSecretProvider(provider, issuer)({}, token, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

describe('jwksSecretProvider', () => {
  it("hands passport-jwt the PEM of the key for the token's kid and alg, from its iss", async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const { provider, calls } = fakeProvider(publicKey);
    const pem = await secretFor(provider, tokenWith({ alg: 'ES256', kid: 'k1' }));
    expect(calls).toEqual([[ISSUER, { kid: 'k1', alg: 'ES256' }]]);
    expect(typeof pem).toBe('string');
    expect(createPublicKey(pem as string).equals(KeyObject.from(publicKey))).toBe(true);
  });

  it("uses the given issuer rather than the token's iss", async () => {
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const { provider, calls } = fakeProvider(publicKey);
    await secretFor(provider, tokenWith({ alg: 'RS256' }, { iss: 'https://elsewhere.test/' }), ISSUER);
    expect(calls).toEqual([[ISSUER, { kid: undefined, alg: 'RS256' }]]);
  });

  it('hands the raw bytes of an HMAC secret the issuer opted into', async () => {
    const secret = new Uint8Array(32).fill(7);
    const key = await secretFor(fakeProvider(secret).provider, tokenWith({ alg: 'HS256', kid: 'oct' }));
    expect(Buffer.isBuffer(key) && key.equals(Buffer.from(secret))).toBe(true);
  });

  it.each([
    ['an undecodable token', 'not-a-jwt', TokenMalformedError],
    [
      'a crit header (jsonwebtoken would ignore it)',
      tokenWith({ alg: 'ES256', crit: ['x'], x: 1 }),
      HeaderNotAllowedError,
    ],
    ['no alg', tokenWith({ kid: 'k1' }), AlgorithmNotAllowedError],
    ['no iss and no configured issuer', tokenWith({ alg: 'ES256' }, { sub: 'x' }), UnknownIssuerError],
  ])('refuses %s before asking the provider', async (_name, token, errorClass) => {
    const { provider, calls } = fakeProvider(new Uint8Array(32));
    await expect(secretFor(provider, token)).rejects.toBeInstanceOf(errorClass);
    expect(calls).toHaveLength(0);
  });

  it("passes the provider's rejection to passport-jwt", async () => {
    const refusal = new AlgorithmNotAllowedError('The token algorithm is not allowed');
    const provider = { getKey: async () => Promise.reject(refusal) } as unknown as JwksProvider;
    await expect(secretFor(provider, tokenWith({ alg: 'none' }))).rejects.toBe(refusal);
  });
});
