import type { JwtClaimsPayload } from '../config/options.js';

/** A parsed `guard.rolesClaim`: the whole name, and its dot-separated segments. */
export interface RolesClaimPath {
  readonly name: string;
  readonly segments: readonly string[];
}

export function rolesClaimPath(name: string): RolesClaimPath {
  return { name, segments: name.split('.') };
}

/**
 * The roles a token carries at `path`: a claim named as the whole path (Auth0's namespaced
 * `https://example.com/roles`), else the dot path walked through nested objects
 * (`realm_access.roles`). An array gives its strings, a string one role; anything else none.
 */
export function tokenRoles(claims: JwtClaimsPayload, path: RolesClaimPath): readonly string[] {
  let value: unknown = Object.hasOwn(claims, path.name) ? claims[path.name] : walk(claims, path.segments);
  if (typeof value === 'string') value = [value];
  if (!Array.isArray(value)) return [];
  return value.filter((role): role is string => typeof role === 'string' && role !== '');
}

function walk(claims: JwtClaimsPayload, segments: readonly string[]): unknown {
  let value: unknown = claims;
  for (const segment of segments) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, segment))
      return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}
