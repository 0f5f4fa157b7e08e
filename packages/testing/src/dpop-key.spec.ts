import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import {
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  EmbeddedJWK,
  importJWK,
  type JWK,
  jwtVerify,
} from 'jose';
import { checkDpopProof, type ProofExpectation } from './dpop-proof-check.js';
import { DpopReplayCache } from './dpop-replay.js';
import { accessTokenHash, DpopKey, type DpopProofFlaw, LocalIssuer } from './index.js';
import { fakeClock, restoreClock } from '../../../test/support/fake-clock.js';

const URL_OF_REQUEST = 'http://127.0.0.1:4000/orders/42';
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const sha256url = (value: string) => createHash('sha256').update(value).digest('base64url');

function expectation(overrides: Partial<ProofExpectation> = {}): ProofExpectation {
  return {
    method: 'GET',
    url: URL_OF_REQUEST,
    maxProofAge: 300,
    nonce: undefined,
    replays: new DpopReplayCache(),
    ...overrides,
  };
}

describe('DpopKey', () => {
  let key: DpopKey;

  beforeAll(async () => {
    key = await DpopKey.generate();
  });

  afterEach(() => {
    restoreClock();
  });

  it('holds an ES256 key by default whose thumbprint is the RFC 7638 one of its public JWK', async () => {
    expect(key.alg).toBe('ES256');
    expect(key.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
    for (const member of PRIVATE_JWK_MEMBERS) expect(key.publicJwk).not.toHaveProperty(member);
    expect(key.thumbprint).toBe(await calculateJwkThumbprint(key.publicJwk, 'sha256'));
    expect(key.cnf).toEqual({ jkt: key.thumbprint });
  });

  it.each(['ES384', 'RS256', 'PS256', 'EdDSA'] as const)(
    'makes %s proofs that verify with the embedded jwk',
    async (alg) => {
      const other = await DpopKey.generate(alg);
      const proof = await other.proof({ method: 'POST', url: URL_OF_REQUEST });
      const { protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' });
      expect(protectedHeader.alg).toBe(alg);
      await expect(checkDpopProof(proof, expectation({ method: 'POST' }))).resolves.toEqual({ jkt: other.thumbprint });
    },
  );

  it('makes a proof with typ dpop+jwt, the public jwk, jti, htm, htu without query and fragment, iat, ath and nonce', async () => {
    const clock = fakeClock(Date.UTC(2031, 5, 1));
    const proof = await key.proof({
      method: 'GET',
      url: `${URL_OF_REQUEST}?page=2#top`,
      accessToken: 'the.access.token',
      nonce: 'n-1',
    });
    const { protectedHeader, payload } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      currentDate: new Date(clock.start),
    });
    expect(protectedHeader).toEqual({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk });
    expect(payload).toEqual({
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      htm: 'GET',
      htu: URL_OF_REQUEST,
      iat: clock.start / 1000,
      ath: sha256url('the.access.token'),
      nonce: 'n-1',
    });
    expect(accessTokenHash('the.access.token')).toBe(sha256url('the.access.token'));
    expect(decodeJwt(await key.proof({ method: 'GET', url: URL_OF_REQUEST })).jti).not.toBe(payload.jti);
  });

  it('applies iat, jti, header, claims and omit', async () => {
    const proof = await key.proof({
      method: 'GET',
      url: URL_OF_REQUEST,
      iat: 1_000,
      jti: 'fixed',
      header: { kid: 'k1' },
      claims: { htu: 'HTTP://127.0.0.1:4000/raw', extra: true },
      omit: ['htm'],
    });
    expect(decodeProtectedHeader(proof)).toMatchObject({ typ: 'dpop+jwt', kid: 'k1' });
    expect(decodeJwt(proof)).toEqual({ jti: 'fixed', htu: 'HTTP://127.0.0.1:4000/raw', iat: 1_000, extra: true });
  });

  it('refuses a bad url, method or algorithm with a TypeError', async () => {
    await expect(key.proof({ method: 'GET', url: '/relative' })).rejects.toThrow(/absolute URL/);
    await expect(key.proof({ method: '', url: URL_OF_REQUEST })).rejects.toThrow(/method/);
    await expect(DpopKey.generate('HS256' as never)).rejects.toThrow(TypeError);
  });

  it('binds a minted token to it with cnf.jkt', async () => {
    const idp = await LocalIssuer.start({ algorithms: ['ES256'] });
    try {
      expect(decodeJwt(await idp.mint({}, { dpop: key })).cnf).toEqual({ jkt: key.thumbprint });
      expect(decodeJwt(await idp.mint({ cnf: { jkt: 'given' } }, { dpop: key })).cnf).toEqual({ jkt: 'given' });
      expect((await idp.dpopKey('EdDSA')).publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    } finally {
      await idp.close();
    }
  });
});

describe('DpopKey.badProof: each flaw fails exactly the check it names', () => {
  let key: DpopKey;
  const request = { method: 'GET', url: URL_OF_REQUEST, accessToken: 'the.access.token' };

  beforeAll(async () => {
    key = await DpopKey.generate('ES256');
  });

  it('makes proofs that pass every check when not flawed', async () => {
    await expect(checkDpopProof(await key.proof(request), expectation())).resolves.toEqual({ jkt: key.thumbprint });
  });

  it.each<[DpopProofFlaw, RegExp]>([
    ['wrong-typ', /typ must be dpop\+jwt/],
    ['alg-none', /alg must be an asymmetric algorithm/],
    ['symmetric-alg', /alg must be an asymmetric algorithm/],
    ['private-jwk', /jwk must not contain a private key/],
    ['bad-signature', /signature is invalid/],
    ['missing-jti', /jti is required/],
    ['wrong-htm', /htm does not match/],
    ['wrong-htu', /htu does not match/],
    ['old-iat', /iat is outside/],
    ['future-iat', /iat is outside/],
  ])('%s', async (flaw, reason) => {
    const proof = await key.badProof(flaw, request);
    const checked = await checkDpopProof(proof, expectation());
    expect(checked).toEqual({ error: 'invalid_dpop_proof', description: expect.stringMatching(reason) });
  });

  it('wrong-htm, wrong-htu, old-iat and future-iat set that claim as documented', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(decodeJwt(await key.badProof('wrong-htm', request)).htm).toBe('POST');
    expect(decodeJwt(await key.badProof('wrong-htm', { ...request, method: 'POST' })).htm).toBe('GET');
    expect(decodeJwt(await key.badProof('wrong-htu', request)).htu).toBe(`${URL_OF_REQUEST}/elsewhere`);
    expect(decodeJwt(await key.badProof('old-iat', request)).iat).toBeLessThanOrEqual(now - 3600);
    expect(decodeJwt(await key.badProof('future-iat', request)).iat).toBeGreaterThanOrEqual(now + 3600);
  });

  it('private-jwk carries the private key in the header and is otherwise a valid signature', async () => {
    const proof = await key.badProof('private-jwk', request);
    const jwk = decodeProtectedHeader(proof).jwk as JWK;
    expect(jwk.d).toEqual(expect.any(String));
    await expect(jwtVerify(proof, EmbeddedJWK)).rejects.toThrow(/must be a public key/);
    await expect(jwtVerify(proof, await importJWK(key.publicJwk, 'ES256'))).resolves.toBeDefined();
  });

  it('symmetric-alg is an HS256 proof keyed with the public JWK', async () => {
    const proof = await key.badProof('symmetric-alg', request);
    expect(decodeProtectedHeader(proof)).toMatchObject({ alg: 'HS256', jwk: key.publicJwk });
    await expect(jwtVerify(proof, new TextEncoder().encode(JSON.stringify(key.publicJwk)))).resolves.toBeDefined();
  });

  it('reused-jti is a new proof with the jti of the previous one, refused as a replay', async () => {
    const replays = new DpopReplayCache();
    const first = await key.proof(request);
    const again = await key.badProof('reused-jti', request);
    expect(again).not.toBe(first);
    expect(decodeJwt(again).jti).toBe(decodeJwt(first).jti);
    await expect(checkDpopProof(first, expectation({ replays }))).resolves.toEqual({ jkt: key.thumbprint });
    await expect(checkDpopProof(again, expectation({ replays }))).resolves.toMatchObject({
      description: expect.stringMatching(/already used/),
    });
    await expect(checkDpopProof(first, expectation({ replays }))).resolves.toMatchObject({
      error: 'invalid_dpop_proof',
    });
  });

  it('reused-jti needs a previous proof', async () => {
    await expect((await DpopKey.generate()).badProof('reused-jti', request)).rejects.toThrow(/no proof yet/);
  });

  it('missing-ath drops ath, wrong-ath hashes another token', async () => {
    expect(decodeJwt(await key.badProof('missing-ath', request))).not.toHaveProperty('ath');
    const wrong = decodeJwt(await key.badProof('wrong-ath', request)).ath;
    expect(wrong).toEqual(expect.any(String));
    expect(wrong).not.toBe(sha256url(request.accessToken));
  });

  it('other-key is a valid proof by a key whose thumbprint is not this key’s', async () => {
    const proof = await key.badProof('other-key', request);
    const checked = await checkDpopProof(proof, expectation());
    expect(checked).toEqual({ jkt: expect.any(String) });
    expect((checked as { jkt: string }).jkt).not.toBe(key.thumbprint);
  });

  it('the check accepts iat at the window’s edges and refuses it one second beyond', async () => {
    const now = Math.floor(Date.now() / 1000);
    fakeClock(now * 1000);
    try {
      for (const [iat, ok] of [
        [now - 300, true],
        [now + 300, true],
        [now - 301, false],
        [now + 301, false],
      ] as const) {
        const checked = await checkDpopProof(await key.proof({ ...request, iat }), expectation());
        expect('jkt' in checked).toBe(ok);
      }
    } finally {
      restoreClock();
    }
  });

  it('the check wants the nonce when one is expected, as use_dpop_nonce', async () => {
    const withNonce = expectation({ nonce: 'n-2' });
    await expect(checkDpopProof(await key.proof(request), withNonce)).resolves.toMatchObject({
      error: 'use_dpop_nonce',
    });
    await expect(checkDpopProof(await key.proof({ ...request, nonce: 'n-1' }), withNonce)).resolves.toMatchObject({
      error: 'use_dpop_nonce',
    });
    await expect(checkDpopProof(await key.proof({ ...request, nonce: 'n-2' }), withNonce)).resolves.toEqual({
      jkt: key.thumbprint,
    });
  });

  it('the check refuses what is not a JWT', async () => {
    await expect(checkDpopProof('not-a-jwt', expectation())).resolves.toMatchObject({
      description: expect.stringMatching(/not a JWT/),
    });
  });
});
