import { describe, expect, it } from '@jest/globals';
import { jwtContextStorage } from '../internal/jwt-context-storage.js';
import type { JwksCacheModuleOptions } from '../config/options.js';
import { JwtContext } from './jwt-context.js';

const contextWith = (guard: JwksCacheModuleOptions['guard']) => new JwtContext({ issuers: [], guard });

describe('JwtContext', () => {
  it('gives the claims of the open context and the tenant guard.tenantFrom takes from them', () => {
    const context = contextWith({ tenantFrom: (claims) => claims.tid as string | undefined });
    jwtContextStorage.run({ claims: { sub: 'alice', tid: 'acme' } }, () => {
      expect(context.claims()).toEqual({ sub: 'alice', tid: 'acme' });
      expect(context.tenant()).toBe('acme');
    });
  });

  it('gives undefined outside a context, and for tenant() without guard.tenantFrom', () => {
    expect(contextWith({ tenantFrom: () => 'acme' }).claims()).toBeUndefined();
    expect(contextWith({ tenantFrom: () => 'acme' }).tenant()).toBeUndefined();
    jwtContextStorage.run({ claims: { sub: 'alice', tid: 'acme' } }, () => {
      expect(contextWith(undefined).tenant()).toBeUndefined();
    });
  });

  it('refuses a tenantFrom that gives neither a string nor undefined', () => {
    const context = contextWith({ tenantFrom: (claims) => claims.tid as string });
    jwtContextStorage.run({ claims: { tid: 42 } }, () => {
      expect(() => context.tenant()).toThrow(
        new TypeError('guard.tenantFrom must give a string or undefined, not a number'),
      );
    });
    jwtContextStorage.run({ claims: { tid: null } }, () => {
      expect(() => context.tenant()).toThrow(
        new TypeError('guard.tenantFrom must give a string or undefined, not null'),
      );
    });
  });
});
