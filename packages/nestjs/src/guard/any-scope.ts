import { SetMetadata } from '@nestjs/common';
import { checkedScopes } from './scopes.js';

/** Metadata key set by {@link AnyScope}: the accepted scopes, a `readonly string[]`. */
export const ANY_SCOPE_KEY = 'jwks-cache:any-scope';

/**
 * Requires at least one of the listed scopes (read as for `@Scopes`: `scope` and `scp`). A token
 * with none of them gets 403 with `WWW-Authenticate: Bearer error="insufficient_scope",
 * scope="<the listed scopes>"`.
 *
 * On a handler it replaces (does not add to) its controller's `@AnyScope`; an empty
 * `@AnyScope()` lifts the controller's. It is checked besides `@Scopes` (all of those, and one of
 * these) and `@Roles`, each read on its own.
 *
 * ```ts
 * @AnyScope('orders:read', 'orders:admin')
 * @Get('orders')
 * list() {}
 * ```
 * @throws TypeError when a scope is empty or contains a space, `"` or `\`.
 */
export function AnyScope(...scopes: string[]): MethodDecorator & ClassDecorator {
  return SetMetadata(ANY_SCOPE_KEY, checkedScopes('@AnyScope()', scopes));
}
