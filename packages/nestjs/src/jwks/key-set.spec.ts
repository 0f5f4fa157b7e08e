import { describe, expect, it, beforeAll } from '@jest/globals';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { KeySetShapeError, parseKeySet } from './key-set.js';

const RULES = { allowSymmetric: false, maxKeys: 100 };

describe('parseKeySet', () => {
  let rsa: JWK;
  let rsaPrivate: JWK;
  let ec: JWK;
  let okp: JWK;

  beforeAll(async () => {
    const rsaPair = await generateKeyPair('RS256', { extractable: true });
    rsa = { ...(await exportJWK(rsaPair.publicKey)), kid: 'rsa', alg: 'RS256', use: 'sig' };
    rsaPrivate = { ...(await exportJWK(rsaPair.privateKey)), kid: 'rsa-private' };
    ec = { ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey)), kid: 'ec' };
    okp = { ...(await exportJWK((await generateKeyPair('EdDSA', { extractable: true })).publicKey)), kid: 'okp' };
  });

  it('keeps RSA, EC and OKP signing keys with their RFC 7638 thumbprints', async () => {
    const set = await parseKeySet({ keys: [rsa, ec, okp] }, RULES);
    expect(set.keys.map((key) => key.kid)).toEqual(['rsa', 'ec', 'okp']);
    expect(set.skipped).toBe(0);
    expect(set.keys[0]!.thumbprint).toBe(await calculateJwkThumbprint(rsa, 'sha256'));
  });

  it('skips and counts encryption keys, private keys, unknown kty, key_ops without verify and missing members', async () => {
    const members = [
      rsa,
      { ...ec, kid: 'enc', use: 'enc' },
      rsaPrivate,
      { kty: 'AKP', kid: 'unknown-kty', pub: 'x' },
      { ...okp, kid: 'sign-only', key_ops: ['sign'] },
      { kty: 'RSA', kid: 'no-n', e: 'AQAB' },
      { kty: 'EC', kid: 'no-y', crv: 'P-256', x: ec.x },
      { kty: 'OKP', kid: 'x25519', crv: 'X25519', x: okp.x },
      { kty: 'oct', kid: 'hmac', k: 'c2VjcmV0' },
      'not-an-object',
    ];
    const set = await parseKeySet({ keys: members }, RULES);
    expect(set.keys.map((key) => key.kid)).toEqual(['rsa']);
    expect(set.skipped).toBe(9);
  });

  it('keeps only public members, so a stored or re-served JWK never carries extras', async () => {
    const set = await parseKeySet({ keys: [{ ...rsa, x5c: ['MII...'], extra: 'x' }] }, RULES);
    expect(Object.keys(set.keys[0]!.jwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
  });

  it('accepts oct keys only when the issuer allows HS*', async () => {
    const oct = { kty: 'oct', kid: 'hmac', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0' };
    await expect(parseKeySet({ keys: [oct] }, RULES)).rejects.toThrow(KeySetShapeError);
    const set = await parseKeySet({ keys: [oct] }, { ...RULES, allowSymmetric: true });
    expect(set.keys).toHaveLength(1);
  });

  it.each([
    ['null', null],
    ['an array', [{ kty: 'RSA' }]],
    ['keys not an array', { keys: 'nope' }],
    ['no keys', {}],
    ['no usable key', { keys: [{ kty: 'RSA', use: 'enc', n: 'x', e: 'AQAB' }] }],
    ['an empty set', { keys: [] }],
  ])('rejects %s', async (_label, body) => {
    await expect(parseKeySet(body, RULES)).rejects.toThrow(KeySetShapeError);
  });

  it('rejects a set with more members than the bound', async () => {
    await expect(parseKeySet({ keys: [rsa, ec, okp] }, { ...RULES, maxKeys: 2 })).rejects.toThrow('more than 2 keys');
  });
});
