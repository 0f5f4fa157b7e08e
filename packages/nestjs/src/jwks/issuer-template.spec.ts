import { describe, expect, it } from '@jest/globals';
import { validateOptions } from '../config/validate-options.js';
import type { IssuerOptions } from '../config/options.js';
import { IssuerTemplate, isIssuerTemplate } from './issuer-template.js';

const ENTRA = 'https://login.microsoftonline.com/{tenant}/v2.0';

describe('IssuerTemplate', () => {
  it('matches an iss of the template and gives the placeholder values', () => {
    const template = IssuerTemplate.parse(ENTRA, 'issuers[0].issuer');
    expect(template.names).toEqual(['tenant']);
    expect(template.match('https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0')).toEqual({
      tenant: '9188040d-6c67-4c5b-b112-36a304b66dad',
    });
    expect(template.match('https://login.microsoftonline.com/a.b_c~d-e/v2.0')).toEqual({ tenant: 'a.b_c~d-e' });
  });

  it('matches several placeholders, a trailing one included, and expands a jwksUri with them', () => {
    const template = IssuerTemplate.parse('https://idp.test/{region}/realms/{realm}', 'p');
    const params = template.match('https://idp.test/eu/realms/acme');
    expect(params).toEqual({ region: 'eu', realm: 'acme' });
    const jwks = IssuerTemplate.parse(
      'https://idp.test/{region}/realms/{realm}/protocol/openid-connect/certs',
      'p',
      template.names,
    );
    expect(jwks.expand(params!)).toBe('https://idp.test/eu/realms/acme/protocol/openid-connect/certs');
  });

  it.each([
    ['another path', 'https://login.microsoftonline.com/acme/v1.0'],
    ['two segments for one placeholder', 'https://login.microsoftonline.com/a/b/v2.0'],
    ['an empty segment', 'https://login.microsoftonline.com//v2.0'],
    ['.', 'https://login.microsoftonline.com/./v2.0'],
    ['..', 'https://login.microsoftonline.com/../v2.0'],
    ['a percent-encoded value', 'https://login.microsoftonline.com/%2e%2e/v2.0'],
    ['a query in the value', 'https://login.microsoftonline.com/a?x=1/v2.0'],
    ['an @ in the value', 'https://login.microsoftonline.com/a@evil/v2.0'],
    ['129 characters', `https://login.microsoftonline.com/${'a'.repeat(129)}/v2.0`],
    ['another host', 'https://login.microsoftonline.com.evil.test/acme/v2.0'],
    ['a prefix', 'xhttps://login.microsoftonline.com/acme/v2.0'],
    ['a suffix', 'https://login.microsoftonline.com/acme/v2.0/'],
  ])('does not match %s', (_why, iss) => {
    expect(IssuerTemplate.parse(ENTRA, 'p').match(iss)).toBeUndefined();
  });

  it('accepts exactly 128 characters', () => {
    expect(IssuerTemplate.parse(ENTRA, 'p').match(`https://login.microsoftonline.com/${'a'.repeat(128)}/v2.0`)).toEqual(
      { tenant: 'a'.repeat(128) },
    );
  });

  it('matches in linear time: a long hostile iss costs no backtracking', () => {
    const template = IssuerTemplate.parse('https://idp.test/{a}/x/{b}/y', 'p');
    const hostile = `https://idp.test/${'a/x/'.repeat(4_000)}`;
    expect(template.match(hostile)).toBeUndefined();
  });

  it('tells a template from an exact issuer', () => {
    expect(isIssuerTemplate(ENTRA)).toBe(true);
    expect(isIssuerTemplate('https://idp.test/realms/acme')).toBe(false);
    expect(isIssuerTemplate('https://idp.test/}')).toBe(true);
  });

  it.each([
    ['https://{tenant}.auth0.com/', /outside the URL path/],
    ['https://idp.test:{port}/x', /outside the URL path|absolute/],
    ['https://idp.test/x?t={tenant}', /outside the URL path/],
    ['https://idp.test/x#{tenant}', /outside the URL path/],
    ['https://idp.test/t-{tenant}/x', /inside a path segment/],
    ['https://idp.test/{tenant}x', /inside a path segment/],
    ['https://idp.test/{tenant}/{tenant}', /twice/],
    ['https://idp.test/{}', /malformed placeholder/],
    ['https://idp.test/{1x}', /malformed placeholder/],
    ['https://idp.test/{a-b}', /malformed placeholder/],
    ['https://idp.test/{tenant', /without its "}"/],
    ['https://idp.test/tenant}', /without its "{"/],
    ['ftp://idp.test/{tenant}', /absolute http\(s\) URL/],
    ['/realms/{tenant}', /outside the URL path|absolute/],
    ['https://user:pw@idp.test/{tenant}', /credentials/],
  ])('refuses %s at start, naming the option', (template, problem) => {
    expect(() => IssuerTemplate.parse(template, 'issuers[2].issuer')).toThrow(TypeError);
    expect(() => IssuerTemplate.parse(template, 'issuers[2].issuer')).toThrow(
      /^JwksCacheModule: option issuers\[2\]\.issuer /,
    );
    expect(() => IssuerTemplate.parse(template, 'issuers[2].issuer')).toThrow(problem);
  });
});

describe('template options, checked at start', () => {
  const valid: IssuerOptions = { issuer: 'https://idp.test/realms/{realm}', audience: 'api' };
  const check = (issuer: IssuerOptions) => () => validateOptions({ issuers: [issuer] });

  it('accepts a template with every option', () => {
    expect(
      check({
        ...valid,
        jwksUri: 'https://idp.test/realms/{realm}/certs',
        tenants: () => true,
        claimsMatch: { realm: 'realm' },
        maxIssuers: 5,
        newIssuersPerSecond: 1,
      }),
    ).not.toThrow();
    expect(check({ ...valid, jwksUri: 'https://idp.test/common/keys' })).not.toThrow();
  });

  it.each<[string, IssuerOptions, RegExp]>([
    [
      'a jwksUri placeholder the issuer lacks',
      { ...valid, jwksUri: 'https://idp.test/{tenant}/keys' },
      /option issuers\[0\]\.jwksUri uses the placeholder \{tenant\}, which its issuer does not have/,
    ],
    [
      'a jwksUri placeholder in the host',
      { ...valid, jwksUri: 'https://{realm}.idp.test/keys' },
      /option issuers\[0\]\.jwksUri has the placeholder \{realm\} outside the URL path/,
    ],
    [
      'claimsMatch naming no placeholder',
      { ...valid, claimsMatch: { tid: 'tenant' } },
      /option issuers\[0\]\.claimsMatch\.tid must name a placeholder of the issuer \('realm'\)/,
    ],
    ['an empty claimsMatch', { ...valid, claimsMatch: {} }, /option issuers\[0\]\.claimsMatch is empty/],
    ['tenants not a function', { ...valid, tenants: true as never }, /option issuers\[0\]\.tenants must be a function/],
    [
      'maxIssuers 0',
      { ...valid, maxIssuers: 0 },
      /option issuers\[0\]\.maxIssuers must be a whole number ≥ 1 \(got 0\)/,
    ],
    [
      'newIssuersPerSecond 2.5',
      { ...valid, newIssuersPerSecond: 2.5 },
      /option issuers\[0\]\.newIssuersPerSecond must be a whole number ≥ 1 \(got 2.5\)/,
    ],
    [
      'a seed',
      { ...valid, seed: { jwks: { keys: [] }, fetchedAt: 0, freshUntil: 0 } },
      /option issuers\[0\]\.seed cannot be given to an issuer template/,
    ],
    [
      'tenants on an exact issuer',
      { issuer: 'https://idp.test/realms/acme', tenants: () => true },
      /option issuers\[0\]\.tenants applies to an issuer template only/,
    ],
    [
      'maxIssuers on an exact issuer',
      { issuer: 'https://idp.test/realms/acme', maxIssuers: 3 },
      /option issuers\[0\]\.maxIssuers applies to an issuer template only/,
    ],
    [
      'a typo of a template option',
      { ...valid, maxIssuer: 3 } as IssuerOptions,
      /option issuers\[0\]\.maxIssuer is not a known option; did you mean maxIssuers\?/,
    ],
  ])('refuses %s', (_why, issuer, message) => {
    expect(check(issuer)).toThrow(TypeError);
    expect(check(issuer)).toThrow(message);
  });

  it('refuses a token source that would verify against a template (it names no one issuer)', () => {
    const options = { issuers: [valid], tokens: { t: { tokenFunction: () => 'x', verify: valid.issuer } } };
    expect(() => validateOptions(options)).toThrow(/option tokens\.t\.verify names an issuer that is not configured/);
  });
});
