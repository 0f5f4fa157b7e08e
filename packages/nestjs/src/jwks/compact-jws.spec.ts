import { describe, expect, it } from '@jest/globals';
import { TokenMalformedError } from '../errors.js';
import { decodeCompactJws } from './compact-jws.js';

const encode = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('decodeCompactJws', () => {
  it('decodes the header and the claims', () => {
    const token = `${encode({ alg: 'ES256', kid: 'k' })}.${encode({ iss: 'https://idp.test/', n: 'é' })}.c2ln`;
    expect(decodeCompactJws(token)).toEqual({
      header: { alg: 'ES256', kid: 'k' },
      claims: { iss: 'https://idp.test/', n: 'é' },
    });
  });

  it('says which part is not base64url', () => {
    expect(() => decodeCompactJws(`${encode({ alg: 'ES256' })}.${encode({})}.c2ln=`)).toThrow(
      'The token signature is not base64url',
    );
    expect(() => decodeCompactJws(`${encode({ alg: 'ES256' })}.pay load.c2ln`)).toThrow(
      'The token payload is not base64url-encoded JSON object',
    );
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
    ['an empty payload', `${encode({ alg: 'ES256' })}..s`],
    ['whitespace in the payload', `${encode({ alg: 'ES256' })}.${encode({}).slice(0, 1)} ${encode({}).slice(1)}.s`],
    ['a padded signature', `${encode({ alg: 'ES256' })}.${encode({})}.c2ln=`],
    ['a signature with a line break', `${encode({ alg: 'ES256' })}.${encode({})}.c2\nln`],
  ])('rejects %s as malformed', (_label, token) => {
    expect(() => decodeCompactJws(token)).toThrow(TokenMalformedError);
  });
});
