import { SetMetadata } from '@nestjs/common';

/** Metadata key set by {@link Roles}: the accepted roles, a `readonly string[]`. */
export const REQUIRED_ROLES_KEY = 'jwks-cache:roles';

/**
 * Requires at least one of the listed roles, read from the claim `guard.rolesClaim` names
 * (default `roles`, as Entra ID sends them; `realm_access.roles` for Keycloak): an array of
 * strings, or a string holding one role. Compared exactly (case-sensitive).
 *
 * A token with none of them gets 403 `{ statusCode: 403, message: 'The token has none of the
 * accepted roles', error: 'Forbidden' }` and no `WWW-Authenticate` challenge: RFC 6750's
 * `insufficient_scope` would tell the client to ask for a wider scope, and no scope grants a role.
 *
 * On a handler it replaces (does not add to) its controller's `@Roles`; an empty `@Roles()` lifts
 * the controller's. Checked besides `@Scopes` and `@AnyScope`, after them.
 *
 * ```ts
 * @Roles('admin', 'auditor')
 * @Get('audit')
 * audit() {}
 * ```
 * @throws TypeError when a role is not a non-empty string.
 */
export function Roles(...roles: string[]): MethodDecorator & ClassDecorator {
  for (const role of roles) {
    if (typeof role !== 'string' || role === '')
      throw new TypeError(`@Roles(): ${JSON.stringify(role) ?? String(role)} is not a role (a non-empty string)`);
  }
  return SetMetadata(REQUIRED_ROLES_KEY, Object.freeze([...roles]));
}
