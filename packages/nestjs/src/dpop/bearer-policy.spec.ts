import { describe, expect, it } from '@jest/globals';
import { DpopSchemeError } from '../errors.js';
import type { VerifiedToken } from '../jwks/verified-token.js';
import { BearerPolicy } from './bearer-policy.js';

const verified = (issuer: string, payload: Record<string, unknown> = {}): VerifiedToken => ({
  issuer,
  payload: { iss: issuer, ...payload },
  protectedHeader: { alg: 'ES256' },
  params: {},
});

describe('BearerPolicy', () => {
  const policy = new BearerPolicy({
    issuers: [
      { issuer: 'https://strict.example/', jwksUri: 'https://strict.example/jwks', dpop: 'required' },
      { issuer: 'https://idp.example/realms/vip', jwksUri: 'https://idp.example/realms/vip/jwks', dpop: 'allowed' },
      { issuer: 'https://idp.example/realms/{tenant}', dpop: { mode: 'required' } },
      { issuer: 'https://plain.example/', jwksUri: 'https://plain.example/jwks' },
    ],
  });

  it('accepts an unbound token of an issuer that does not require DPoP', () => {
    expect(policy.accepts(verified('https://plain.example/'))).toBe(true);
  });

  it('refuses a bound token (cnf) whatever its issuer allows', () => {
    expect(policy.accepts(verified('https://plain.example/', { cnf: { jkt: 'x' } }))).toBe(false);
    expect(() => policy.assert(verified('https://plain.example/', { cnf: { jkt: 'x' } }))).toThrow(/bound to a key/);
  });

  it("refuses a bearer token of a configured issuer with 'required'", () => {
    expect(() => policy.assert(verified('https://strict.example/'))).toThrow(DpopSchemeError);
  });

  it("takes a template's setting for the issuers it makes; a configured issuer's own setting wins", () => {
    expect(policy.accepts(verified('https://idp.example/realms/acme'))).toBe(false);
    expect(policy.accepts(verified('https://idp.example/realms/vip'))).toBe(true);
  });
});
