import { InsufficientRoleError, InsufficientScopeError } from '../errors.js';
import type { JwtClaimsPayload } from '../config/options.js';
import { grantedScopes } from './granted-scopes.js';
import { type RolesClaimPath, tokenRoles } from './token-roles.js';

/**
 * What a route asks of a token, each from its decorator (handler over controller): every scope
 * of `@Scopes`, one scope of `@AnyScope`, one role of `@Roles`. An empty list asks nothing.
 */
export interface RouteRequirements {
  readonly scopes: readonly string[];
  readonly anyScopes: readonly string[];
  readonly roles: readonly string[];
}

/** Whether the claims meet every requirement of the route. */
export function meetsRequirements(
  claims: JwtClaimsPayload,
  route: RouteRequirements,
  rolesPath: RolesClaimPath,
): boolean {
  return firstUnmet(claims, route, rolesPath) === undefined;
}

/**
 * @throws InsufficientScopeError when a scope of `@Scopes` is missing, or every one of `@AnyScope` (checked in that order);
 * @throws InsufficientRoleError when the token has no role of `@Roles`.
 */
export function assertRequirements(
  claims: JwtClaimsPayload,
  route: RouteRequirements,
  rolesPath: RolesClaimPath,
): void {
  const unmet = firstUnmet(claims, route, rolesPath);
  if (unmet !== undefined) throw unmet;
}

function firstUnmet(claims: JwtClaimsPayload, route: RouteRequirements, rolesPath: RolesClaimPath): Error | undefined {
  const { scopes, anyScopes, roles } = route;
  if (scopes.length > 0 || anyScopes.length > 0) {
    const granted = grantedScopes(claims);
    const missing = scopes.filter((scope) => !granted.has(scope));
    if (missing.length > 0) return new InsufficientScopeError('The token lacks a required scope', scopes, missing);
    if (anyScopes.length > 0 && !anyScopes.some((scope) => granted.has(scope))) {
      return new InsufficientScopeError('The token has none of the accepted scopes', anyScopes, anyScopes);
    }
  }
  if (roles.length > 0) {
    const held = tokenRoles(claims, rolesPath);
    if (!roles.some((role) => held.includes(role)))
      return new InsufficientRoleError('The token has none of the accepted roles', roles);
  }
  return undefined;
}
