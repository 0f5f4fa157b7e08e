import { describe, expect, it } from '@jest/globals';
import { jwtContextEnabled } from './jwt-context-enabled.js';

const ISSUERS = [{ issuer: 'https://idp.example/', jwksUri: 'https://idp.example/jwks' }];
const tid = (claims: Record<string, unknown>) => claims.tid as string | undefined;
const source = { tokenFunction: () => ({ access_token: 't', expires_in: 60 }) };

describe('jwtContextEnabled', () => {
  it('is off by default: nothing reads the context', () => {
    expect(jwtContextEnabled({ issuers: ISSUERS })).toBe(false);
    expect(jwtContextEnabled({ issuers: ISSUERS, tokens: { plain: source } })).toBe(false);
  });

  it('is on when a tenantFrom needs it: guard, token defaults or a source', () => {
    expect(jwtContextEnabled({ issuers: ISSUERS, guard: { tenantFrom: tid } })).toBe(true);
    expect(jwtContextEnabled({ issuers: ISSUERS, tokenDefaults: { tenantFrom: tid } })).toBe(true);
    expect(
      jwtContextEnabled({ issuers: ISSUERS, tokens: { plain: source, perTenant: { ...source, tenantFrom: tid } } }),
    ).toBe(true);
  });

  it('follows guard.context when it is set', () => {
    expect(jwtContextEnabled({ issuers: ISSUERS, guard: { context: true } })).toBe(true);
    expect(jwtContextEnabled({ issuers: ISSUERS, guard: { context: false, tenantFrom: tid } })).toBe(false);
  });
});
