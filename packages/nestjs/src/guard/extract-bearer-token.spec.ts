import { describe, expect, it } from '@jest/globals';
import { AuthorizationMalformedError } from '../errors.js';
import { extractBearerToken, findBearerToken } from './extract-bearer-token.js';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln';

function withHeaders(headers: Record<string, string>) {
  return { headers };
}

describe('extractBearerToken', () => {
  it('reads "Bearer <token>" with the scheme in any case', () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      expect(extractBearerToken(withHeaders({ authorization: `${scheme} ${JWT}` }))).toBe(JWT);
    }
  });

  it('accepts every b64token character, with trailing "="', () => {
    expect(extractBearerToken(withHeaders({ authorization: 'Bearer aZ09-._~+/==' }))).toBe('aZ09-._~+/==');
  });

  it('returns undefined without credentials or with another scheme (no error code, RFC 6750 §3.1)', () => {
    expect(extractBearerToken(withHeaders({}))).toBeUndefined();
    expect(extractBearerToken({})).toBeUndefined();
    expect(extractBearerToken(withHeaders({ authorization: '' }))).toBeUndefined();
    expect(extractBearerToken(withHeaders({ authorization: 'Basic dXNlcjpwYXNz' }))).toBeUndefined();
    expect(extractBearerToken(withHeaders({ authorization: 'Bearerx abc' }))).toBeUndefined();
  });

  it.each([
    ['no token', 'Bearer'],
    ['an empty token', 'Bearer '],
    ['two spaces', `Bearer  ${JWT}`],
    ['two tokens', `Bearer ${JWT} ${JWT}`],
    ['a trailing space', `Bearer ${JWT} `],
    ['a comma', `Bearer ${JWT},x`],
    ['a quote', 'Bearer "abc"'],
    ['"=" inside the token', 'Bearer ab=c'],
  ])('throws AuthorizationMalformedError for a Bearer header with %s', (_name, authorization) => {
    expect(() => extractBearerToken(withHeaders({ authorization }))).toThrow(AuthorizationMalformedError);
  });

  it('reads the configured header instead of Authorization', () => {
    const request = withHeaders({ authorization: 'Bearer from-authorization', 'x-access-token': ` ${JWT} ` });
    expect(extractBearerToken(request, { header: 'X-Access-Token' })).toBe(JWT);
    expect(
      extractBearerToken(withHeaders({ authorization: `Bearer ${JWT}` }), { header: 'x-access-token' }),
    ).toBeUndefined();
  });

  it('reads the configured cookie from the Cookie header, decoding and unquoting it', () => {
    const cookie = `theme=dark; access_token="${encodeURIComponent(JWT)}"; other=1`;
    expect(extractBearerToken(withHeaders({ cookie }), { cookie: 'access_token' })).toBe(JWT);
    expect(
      extractBearerToken(withHeaders({ cookie: 'xaccess_token=1; other=2' }), { cookie: 'access_token' }),
    ).toBeUndefined();
    expect(extractBearerToken(withHeaders({ cookie: 'access_token=' }), { cookie: 'access_token' })).toBeUndefined();
    expect(extractBearerToken(withHeaders({ cookie: 'access_token=%E0%A4%A' }), { cookie: 'access_token' })).toBe(
      '%E0%A4%A',
    );
  });

  it('prefers cookies parsed by cookie-parser / @fastify/cookie', () => {
    const request = { headers: { cookie: 'access_token=from-header' }, cookies: { access_token: JWT } };
    expect(extractBearerToken(request, { cookie: 'access_token' })).toBe(JWT);
  });

  it('ignores cookies unless configured, and lets the header win over the cookie', () => {
    expect(extractBearerToken(withHeaders({ cookie: `access_token=${JWT}` }))).toBeUndefined();
    const both = withHeaders({ authorization: 'Bearer from-header', cookie: `access_token=${JWT}` });
    expect(extractBearerToken(both, { cookie: 'access_token' })).toBe('from-header');
  });
});

describe('findBearerToken', () => {
  it('finds the same token as extractBearerToken in the header, the configured header and the cookie', () => {
    const requests = [
      { request: withHeaders({ authorization: `bearer ${JWT}` }), options: {} },
      { request: withHeaders({ 'x-access-token': ` ${JWT} ` }), options: { header: 'X-Access-Token' } },
      { request: withHeaders({ cookie: `session=${JWT}` }), options: { cookie: 'session' } },
      { request: withHeaders({ authorization: 'Basic dXNlcjpwYXNz' }), options: {} },
    ];
    for (const { request, options } of requests) {
      expect(findBearerToken(request, options)).toBe(extractBearerToken(request, options));
    }
  });

  it('returns a Bearer token of a bad shape unchecked: only a verified token can match it', () => {
    expect(findBearerToken(withHeaders({ authorization: `Bearer  ${JWT}` }))).toBe(` ${JWT}`);
    expect(findBearerToken(withHeaders({ authorization: `Bearer ${JWT} ${JWT}` }))).toBe(`${JWT} ${JWT}`);
  });

  it('throws for a Bearer header with no token rather than falling back to the cookie', () => {
    for (const authorization of ['Bearer', 'Bearer ']) {
      const request = withHeaders({ authorization, cookie: `session=${JWT}` });
      expect(() => findBearerToken(request, { cookie: 'session' })).toThrow(AuthorizationMalformedError);
    }
  });
});
