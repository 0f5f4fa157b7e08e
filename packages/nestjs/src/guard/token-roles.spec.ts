import { describe, expect, it } from '@jest/globals';
import { rolesClaimPath, tokenRoles } from './token-roles.js';

describe('tokenRoles', () => {
  it('reads an array of strings, or one string, at the claim', () => {
    expect(tokenRoles({ roles: ['admin', 'auditor'] }, rolesClaimPath('roles'))).toEqual(['admin', 'auditor']);
    expect(tokenRoles({ roles: 'admin auditor' }, rolesClaimPath('roles'))).toEqual(['admin auditor']);
  });

  it('walks a dot path through nested objects (Keycloak realm and client roles)', () => {
    const claims = {
      realm_access: { roles: ['offline_access', 'analyst'] },
      resource_access: { 'orders-api': { roles: ['writer'] } },
    };
    expect(tokenRoles(claims, rolesClaimPath('realm_access.roles'))).toEqual(['offline_access', 'analyst']);
    expect(tokenRoles(claims, rolesClaimPath('resource_access.orders-api.roles'))).toEqual(['writer']);
  });

  it('reads a claim named as the whole path before walking it', () => {
    const claims = { 'https://orders.example.com/roles': ['admin'], https: { '//orders': 'x' } };
    expect(tokenRoles(claims, rolesClaimPath('https://orders.example.com/roles'))).toEqual(['admin']);
  });

  it('gives no roles for anything else: missing, not an array, non-string or empty members, a path through an array or inherited names', () => {
    const path = rolesClaimPath('realm_access.roles');
    expect(tokenRoles({}, rolesClaimPath('roles'))).toEqual([]);
    expect(tokenRoles({ roles: { admin: true } }, rolesClaimPath('roles'))).toEqual([]);
    expect(tokenRoles({ roles: ['admin', 7, null, '', { role: 'x' }] }, rolesClaimPath('roles'))).toEqual(['admin']);
    expect(tokenRoles({ realm_access: [{ roles: ['admin'] }] }, path)).toEqual([]);
    expect(tokenRoles({ realm_access: null }, path)).toEqual([]);
    expect(tokenRoles({ realm_access: 'admin' }, path)).toEqual([]);
    expect(tokenRoles({}, rolesClaimPath('constructor.name'))).toEqual([]);
  });
});
