import { describe, expect, it } from '@jest/globals';
import { TokenMalformedError } from '../errors.js';
import { decodeCompactJws } from './compact-jws.js';

const encode = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('decodeCompactJws', () => {
  it('decodes the header and the claims', () => {
    const token = `${encode({ alg: 'ES256', kid: 'k' })}.${encode({ iss: 'https://idp.test/', n: 'é' })}.c2ln`;
    expect(decodeCompactJws(token)).toEqual({ header: { alg: 'ES256', kid: 'k' }, claims: { iss: 'https://idp.test/', n: 'é' } });
  });

  it('names a 5-part token as a JWE', () => {
    expect(() => decodeCompactJws('a.b.c.d.e')).toThrow(/JWE/);
  });

  it.each([
    ['2 parts', `${encode({ alg: 'ES256' })}.${encode({})}`],
    ['4 parts', `${encode({ alg: 'ES256' })}.${encode({})}.s.x`],
    ['an empty header', `.${encode({})}.s`],
    ['characters outside base64url', `${encode({ alg: 'ES256' })}+.${encode({})}.s`],
    ['a header that is not JSON', `${encode('not json')}.${encode({})}.s`],
    ['a payload that is an array', `${encode({ alg: 'ES256' })}.${encode([1])}.s`],
    ['a payload that is null', `${encode({ alg: 'ES256' })}.${encode(null)}.s`],
    ['a payload that is a string', `${encode({ alg: 'ES256' })}.${encode('"iss"')}.s`],
  ])('rejects %s as malformed', (_label, token) => {
    expect(() => decodeCompactJws(token)).toThrow(TokenMalformedError);
  });
});
