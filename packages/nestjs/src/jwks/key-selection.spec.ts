import { describe, expect, it } from '@jest/globals';
import { MultipleMatchingKeysError, NoMatchingKeyError, SignatureInvalidError } from '../errors.js';
import type { VerificationKey } from './imported-key-cache.js';
import type { UsableKey } from './key-set.js';
import { firstVerifyingCandidate, keyForToken, MAX_CANDIDATES, selectKeys } from './key-selection.js';

function key(kid: string | undefined, kty: string, extra: Partial<UsableKey> = {}): UsableKey {
  return { jwk: { kty }, kty, kid, alg: undefined, crv: undefined, thumbprint: `tp-${kid}`, ...extra };
}

describe('selectKeys', () => {
  const rsa = key('rsa', 'RSA');
  const rsaPs = key('rsa-ps', 'RSA', { alg: 'PS256' });
  const p256 = key('p256', 'EC', { crv: 'P-256' });
  const p384 = key('p384', 'EC', { crv: 'P-384' });
  const ed = key('ed', 'OKP', { crv: 'Ed25519' });
  const oct = key('oct', 'oct');
  const all = [rsa, rsaPs, p256, p384, ed, oct];

  it('matches the kid and the key type of the alg', () => {
    expect(selectKeys(all, { kid: 'rsa', alg: 'RS256' })).toEqual([rsa]);
    expect(selectKeys(all, { kid: 'rsa', alg: 'ES256' })).toEqual([]);
  });

  it('requires the curve of the alg', () => {
    expect(selectKeys(all, { kid: undefined, alg: 'ES256' })).toEqual([p256]);
    expect(selectKeys(all, { kid: undefined, alg: 'ES384' })).toEqual([p384]);
    expect(selectKeys(all, { kid: undefined, alg: 'EdDSA' })).toEqual([ed]);
    expect(selectKeys(all, { kid: undefined, alg: 'Ed25519' })).toEqual([ed]);
  });

  it("honours a key's own alg", () => {
    expect(selectKeys(all, { kid: 'rsa-ps', alg: 'RS256' })).toEqual([]);
    expect(selectKeys(all, { kid: undefined, alg: 'PS256' })).toEqual([rsa, rsaPs]);
  });

  it('never selects an asymmetric key for an HMAC alg, nor an oct key for an asymmetric one', () => {
    expect(selectKeys(all, { kid: 'rsa', alg: 'HS256' })).toEqual([]);
    expect(selectKeys(all, { kid: undefined, alg: 'HS256' })).toEqual([oct]);
    expect(selectKeys(all, { kid: 'oct', alg: 'RS256' })).toEqual([]);
  });

  it('returns nothing for an unknown alg', () => {
    expect(selectKeys(all, { kid: 'rsa', alg: 'none' })).toEqual([]);
    expect(selectKeys(all, { kid: 'rsa', alg: 'RSA-OAEP' })).toEqual([]);
  });

  it(`tries at most ${MAX_CANDIDATES} keys without a kid`, () => {
    const many = Array.from({ length: 8 }, (_, index) => key(`k${index}`, 'RSA'));
    expect(selectKeys(many, { kid: undefined, alg: 'RS256' })).toHaveLength(MAX_CANDIDATES);
  });
});

describe('firstVerifyingCandidate and keyForToken: the one rule of every path', () => {
  const keys = ['a', 'b', 'c'].map((kid) => key(kid, 'EC', { crv: 'P-256' }));
  /** "Imports" a key as bytes holding its kid's first letter, so an attempt can tell keys apart. */
  const importKey = (candidate: UsableKey): VerificationKey | undefined =>
    candidate.kid === 'broken' ? undefined : new TextEncoder().encode(candidate.kid);
  const nameOf = (imported: VerificationKey): string => new TextDecoder().decode(imported as Uint8Array);
  const badSignature = Object.assign(new Error('bad signature'), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  const signedBy = (kid: string) => (imported: VerificationKey) =>
    nameOf(imported) === kid ? Promise.resolve(kid) : Promise.reject(badSignature);

  it('moves on only after a bad signature, and returns the key that verified', async () => {
    await expect(firstVerifyingCandidate(keys, importKey, signedBy('c'), 'iss')).resolves.toMatchObject({
      key: keys[2],
      result: 'c',
    });
  });

  it('throws any other failure at once (e.g. an expired token), without trying further keys', async () => {
    const tried: string[] = [];
    const expired = Object.assign(new Error('expired'), { code: 'ERR_JWT_EXPIRED' });
    const attempt = (imported: VerificationKey) => {
      tried.push(nameOf(imported));
      return Promise.reject(expired);
    };
    await expect(firstVerifyingCandidate(keys, importKey, attempt, 'iss')).rejects.toBe(expired);
    expect(tried).toEqual(['a']);
  });

  it('is a SignatureInvalidError when no key verifies, a NoMatchingKeyError when none imports', async () => {
    await expect(firstVerifyingCandidate(keys, importKey, signedBy('z'), 'iss')).rejects.toBeInstanceOf(
      SignatureInvalidError,
    );
    await expect(
      firstVerifyingCandidate([key('broken', 'EC')], importKey, signedBy('z'), 'iss'),
    ).rejects.toBeInstanceOf(NoMatchingKeyError);
  });

  it('keyForToken: the only candidate as it is; several without a token are a MultipleMatchingKeysError', async () => {
    const query = { kid: undefined, alg: 'ES256' };
    expect(nameOf(await keyForToken([keys[1]], importKey, query, undefined, 'iss'))).toBe('b');
    await expect(keyForToken(keys, importKey, query, undefined, 'iss')).rejects.toBeInstanceOf(
      MultipleMatchingKeysError,
    );
    await expect(keyForToken([], importKey, query, undefined, 'iss')).rejects.toBeInstanceOf(NoMatchingKeyError);
  });
});
