import { describe, expect, it, beforeAll } from '@jest/globals';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { KeySetShapeError } from '../errors.js';
import { parseKeySet } from './key-set.js';

/** Base64url of a big-endian unsigned integer. */
const b64uInt = (value: bigint): string =>
  Buffer.from(value.toString(16).padStart(2 * Math.ceil(value.toString(16).length / 2), '0'), 'hex').toString(
    'base64url',
  );
const b64u = (bytes: number[] | Buffer): string => Buffer.from(bytes).toString('base64url');
/** Flips the lowest bit of the last byte of a base64url value. */
const flipLastBit = (value: string): string => {
  const bytes = Buffer.from(value, 'base64url');
  bytes[bytes.length - 1] ^= 1;
  return bytes.toString('base64url');
};

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
    expect(set.keys[0].thumbprint).toBe(await calculateJwkThumbprint(rsa, 'sha256'));
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

  describe('public key material is validated, not only parsed', () => {
    let ec384: JWK;
    let ec521: JWK;
    let rsa1024: JWK;
    let rsa16384Bits: JWK;

    beforeAll(async () => {
      ec384 = { ...(await exportJWK((await generateKeyPair('ES384', { extractable: true })).publicKey)), kid: 'ec384' };
      ec521 = { ...(await exportJWK((await generateKeyPair('ES512', { extractable: true })).publicKey)), kid: 'ec521' };
      const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
      rsa1024 = { ...(small as JWK), kid: 'rsa1024' };
      rsa16384Bits = { kty: 'RSA', kid: 'rsa-huge', e: 'AQAB', n: b64uInt((1n << 16_384n) + 1n) };
    });

    /** Parses `[rsa, member]`: the member is kept (true) or skipped and counted (false). */
    async function kept(member: unknown): Promise<boolean> {
      const set = await parseKeySet({ keys: [rsa, member] }, RULES);
      expect(set.keys.length + set.skipped).toBe(2);
      return set.keys.length === 2;
    }

    it('keeps well-formed RSA (2048), P-256, P-384, P-521 and Ed25519 keys, and e = 3', async () => {
      for (const member of [ec, ec384, ec521, okp]) expect(await kept(member)).toBe(true);
      expect(await kept({ ...rsa, kid: 'e3', e: 'Aw' })).toBe(true);
    });

    it.each([
      ['a 1024-bit modulus', () => rsa1024],
      ['a modulus above 16384 bits (too costly to verify with)', () => rsa16384Bits],
      ['e = 1 (every "signature" would be valid)', () => ({ ...rsa, kid: 'e1', e: 'AQ' })],
      ['an even e (65536)', () => ({ ...rsa, kid: 'e-even', e: b64uInt(65_536n) })],
      ['e = 0', () => ({ ...rsa, kid: 'e0', e: 'AA' })],
      ['an even modulus', () => ({ ...rsa, kid: 'n-even', n: flipLastBit(rsa.n!) })],
      ['a modulus that is not base64url', () => ({ ...rsa, kid: 'n-b64', n: `${rsa.n!.slice(1)}+` })],
    ])('skips an RSA key with %s', async (_label, member) => {
      expect(await kept(member())).toBe(false);
    });

    it.each([
      ['P-256, y off the curve', () => ({ ...ec, kid: 'off', y: flipLastBit(ec.y!) })],
      ['P-384, x off the curve', () => ({ ...ec384, kid: 'off', x: flipLastBit(ec384.x!) })],
      ['P-521, y off the curve', () => ({ ...ec521, kid: 'off', y: flipLastBit(ec521.y!) })],
      [
        'P-256, a coordinate of the wrong length',
        () => ({ ...ec, kid: 'short', x: b64u(Buffer.from(ec.x!, 'base64url').subarray(1)) }),
      ],
      ['P-256, a coordinate ≥ p', () => ({ ...ec, kid: 'big', x: b64u(Array(32).fill(0xff)) })],
      ['P-256 with the coordinates of a P-384 key', () => ({ ...ec384, kid: 'mixed', crv: 'P-256' })],
    ])('skips an EC key with %s', async (_label, member) => {
      expect(await kept(member())).toBe(false);
    });

    it.each([
      // The identity: with it every signature (R = identity, S = 0) verifies in OpenSSL.
      ['the identity point (small order)', [1, ...new Array<number>(31).fill(0)]],
      ['the point of order 2 (y = -1)', [0xec, ...new Array<number>(30).fill(0xff), 0x7f]],
      ['a non-canonical y (y = p)', [0xed, ...new Array<number>(30).fill(0xff), 0x7f]],
      ['31 bytes', new Array<number>(31).fill(7)],
    ])('skips an Ed25519 key with %s', async (_label, x) => {
      expect(await kept({ kty: 'OKP', crv: 'Ed25519', kid: 'bad', x: b64u(x) })).toBe(false);
    });

    it.each([
      ['["verify","verify"]', ['verify', 'verify']],
      ['["verify",0]', ['verify', 0]],
      ['[null,"verify"]', [null, 'verify']],
      ['"verify" (not an array)', 'verify'],
      ['[] (no verify)', []],
    ])('skips key_ops %s, keeps ["verify"] and ["sign","verify"]', async (_label, keyOps) => {
      expect(await kept({ ...ec, kid: 'ops', key_ops: keyOps })).toBe(false);
      expect(await kept({ ...ec, kid: 'ops', key_ops: ['verify'] })).toBe(true);
      expect(await kept({ ...ec, kid: 'ops', key_ops: ['sign', 'verify'] })).toBe(true);
    });

    it.each([['enc'], ['SIG'], [1]])('skips use %p (only "sig" when present)', async (use) => {
      expect(await kept({ ...ec, kid: 'use', use })).toBe(false);
    });
  });

  it('keeps only public members, so a stored or re-served JWK never carries extras', async () => {
    const set = await parseKeySet({ keys: [{ ...rsa, x5c: ['MII...'], extra: 'x' }] }, RULES);
    expect(Object.keys(set.keys[0].jwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
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
