import type { JwtClaimsPayload } from '../config/options.js';

function addScopes(granted: Set<string>, claim: unknown): void {
  const scopes = typeof claim === 'string' ? claim.split(' ') : Array.isArray(claim) ? claim : [];
  for (const scope of scopes) if (typeof scope === 'string' && scope !== '') granted.add(scope);
}

/**
 * The scopes a token grants: the union of `scope` (RFC 8693 / RFC 9068: a space-delimited
 * string) and `scp` (Azure AD, Okta: an array of strings, or a space-delimited string).
 */
export function grantedScopes(claims: JwtClaimsPayload): Set<string> {
  const granted = new Set<string>();
  addScopes(granted, claims.scope);
  addScopes(granted, claims.scp);
  return granted;
}
