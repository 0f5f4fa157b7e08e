import { describe, expect, it } from '@jest/globals';
import type { UsableKey } from './key-set.js';
import { MAX_CANDIDATES, selectKeys } from './key-selection.js';

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
