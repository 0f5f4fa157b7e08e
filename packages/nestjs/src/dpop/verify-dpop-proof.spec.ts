import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DpopNonceRequiredError, DpopProofInvalidError } from '../errors.js';
import { dpopTestKey, mintProof, type DpopTestKey, type ProofParts } from '../../test/support/dpop-proofs.js';
import { fakeClock, restoreClock } from '../../../../test/support/fake-clock.js';
import { accessTokenHash, verifyDpopProof, type DpopProofExpectations } from './verify-dpop-proof.js';

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
const URL = 'https://api.example.com/orders?page=2#top';

describe('verifyDpopProof (RFC 9449 §4.3, one check at a time)', () => {
  let key: DpopTestKey;
  let otherKey: DpopTestKey;
  let rsaKey: DpopTestKey;

  beforeAll(async () => {
    [key, otherKey, rsaKey] = await Promise.all([dpopTestKey('ES256'), dpopTestKey('ES256'), dpopTestKey('RS256')]);
  });
  afterEach(() => restoreClock());

  const expectations = (extra: Partial<DpopProofExpectations> = {}): DpopProofExpectations => ({
    method: 'GET',
    url: URL,
    accessToken: TOKEN,
    jkt: key.jkt,
    algorithms: new Set(['ES256', 'EdDSA']),
    maxProofAge: 300_000,
    clockTolerance: 5_000,
    ...extra,
  });
  const proof = (parts: Partial<ProofParts> = {}, signer: DpopTestKey = key) =>
    mintProof(signer, { htm: 'GET', htu: 'https://api.example.com/orders', accessToken: TOKEN, ...parts });
  const refusedWith = async (proofValue: unknown, check: string, extra: Partial<DpopProofExpectations> = {}) => {
    const error = await verifyDpopProof(proofValue, expectations(extra)).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DpopProofInvalidError);
    expect((error as DpopProofInvalidError).check).toBe(check);
    // Never the proof nor the token in the message.
    expect((error as Error).message).not.toContain(TOKEN);
    if (typeof proofValue === 'string') expect((error as Error).message).not.toContain(proofValue.slice(0, 20));
  };

  it('accepts a proof that passes every check, and gives its key thumbprint and jti', async () => {
    const verified = await verifyDpopProof(await proof({ jti: 'one' }), expectations());
    expect(verified).toMatchObject({ jkt: key.jkt, jti: 'one' });
  });

  it('1. header: refuses what is not one compact JWT', async () => {
    await refusedWith('not-a-jwt', 'header');
    await refusedWith(undefined, 'header');
    const valid = await proof();
    await refusedWith(`${valid}, ${valid}`, 'header');
    await refusedWith(
      `${Buffer.from('[1]').toString('base64url')}.${valid.split('.')[1]}.${valid.split('.')[2]}`,
      'header',
    );
  });

  it('2. typ: refuses a typ other than dpop+jwt', async () => {
    await refusedWith(await proof({ header: { typ: 'JWT' } }), 'typ');
    await refusedWith(await proof({ header: { typ: undefined } }), 'typ');
  });

  it('3. alg: refuses none, symmetric algorithms, and asymmetric ones off the allow-list', async () => {
    await refusedWith(await proof({ header: { alg: 'HS256' } }), 'alg');
    await refusedWith(await proof({ header: { alg: 'none' } }), 'alg');
    // RS256 is asymmetric and well signed, but not in this issuer's dpop.algorithms.
    await refusedWith(await proof({}, rsaKey), 'alg');
    await expect(
      verifyDpopProof(await proof({}, rsaKey), expectations({ algorithms: new Set(['RS256']), jkt: rsaKey.jkt })),
    ).resolves.toMatchObject({ jkt: rsaKey.jkt });
  });

  it('4. jwk: refuses private key material, a missing key, a key of another type', async () => {
    await refusedWith(await proof({ header: { jwk: key.privateJwk } }), 'jwk');
    await refusedWith(await proof({ header: { jwk: undefined } }), 'jwk');
    await refusedWith(await proof({ header: { jwk: { kty: 'oct', k: 'c2VjcmV0' } } }), 'jwk');
    await refusedWith(await proof({ header: { jwk: rsaKey.publicJwk } }), 'jwk');
    await refusedWith(await proof({ header: { jwk: { ...key.publicJwk, x: key.publicJwk.y } } }), 'jwk');
  });

  it('5. signature: refuses a proof signed by another key than its jwk', async () => {
    await refusedWith(await proof({ signingKey: otherKey.privateKey }), 'signature');
  });

  it('the claims: refuses a proof without jti, htm, htu or iat', async () => {
    for (const claim of ['jti', 'htm', 'htu', 'iat']) await refusedWith(await proof({ omit: [claim] }), 'claims');
  });

  it('6. htm: refuses another method', async () => {
    await refusedWith(await proof({ htm: 'POST' }), 'htm');
    await refusedWith(await proof({ htm: 'get' }), 'htm');
  });

  it('7. htu: refuses another URL; compares normalized URLs without query and fragment', async () => {
    await refusedWith(await proof({ htu: 'https://api.example.com/orders/1' }), 'htu');
    await refusedWith(await proof({ htu: 'http://api.example.com/orders' }), 'htu');
    await refusedWith(await proof({ htu: 'https://api.example.com:8443/orders' }), 'htu');
    await refusedWith(await proof({ htu: 'not a url' }), 'htu');
    await expect(
      verifyDpopProof(await proof({ htu: 'HTTPS://API.Example.COM:443/%6Frders' }), expectations()),
    ).resolves.toBeDefined();
    await expect(
      verifyDpopProof(
        await proof({ htu: 'https://api.example.com/a/%7euser' }),
        expectations({ url: 'https://api.example.com/a/~user' }),
      ),
    ).resolves.toBeDefined();
    await expect(
      verifyDpopProof(await proof({ htu: 'https://api.example.com/a/../orders?x=1' }), expectations()),
    ).resolves.toBeDefined();
  });

  it('8. nonce: a nonce check that refuses refuses the proof, after htu and before iat', async () => {
    const checkNonce = (nonce: unknown) => {
      if (nonce !== 'n-1') throw new DpopNonceRequiredError('nonce required', 'n-1');
    };
    await expect(verifyDpopProof(await proof(), expectations({ checkNonce }))).rejects.toBeInstanceOf(
      DpopNonceRequiredError,
    );
    await expect(verifyDpopProof(await proof({ nonce: 'n-1' }), expectations({ checkNonce }))).resolves.toBeDefined();
    // htu comes first: a wrong URL is refused as such even without a nonce.
    await refusedWith(await proof({ htu: 'https://api.example.com/x' }), 'htu', { checkNonce });
  });

  it('9. iat: refuses a proof older than maxProofAge + tolerance, or issued in the future', async () => {
    const now = Date.now();
    fakeClock(now);
    const seconds = Math.floor(now / 1000);
    await refusedWith(await proof({ iat: seconds - 306 }), 'iat');
    await refusedWith(await proof({ iat: seconds + 10 }), 'iat');
    await expect(verifyDpopProof(await proof({ iat: seconds - 300 }), expectations())).resolves.toBeDefined();
    await expect(verifyDpopProof(await proof({ iat: seconds + 4 }), expectations())).resolves.toBeDefined();
    await refusedWith(await proof({ iat: seconds - 60 }), 'iat', { maxProofAge: 30_000 });
  });

  it('10. ath: refuses a proof whose ath is not the hash of the token, or has none', async () => {
    await refusedWith(await proof({ accessToken: `${TOKEN}x` }), 'ath');
    await refusedWith(await proof({ omit: ['ath'] }), 'ath');
    expect(accessTokenHash('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  it("11. cnf.jkt: refuses a well-formed proof by another key than the token's", async () => {
    await refusedWith(await proof({}, otherKey), 'jkt');
  });
});
