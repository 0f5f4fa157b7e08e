import { SetMetadata } from '@nestjs/common';

/** Metadata key set by {@link Scopes}: the required scopes, a `readonly string[]`. */
export const REQUIRED_SCOPES_KEY = 'jwks-cache:scopes';

/** RFC 6749 §3.3 `scope-token`: printable ASCII without space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Requires every listed scope. The token's scopes are read from `scope` (space-delimited string)
 * and `scp` (array of strings, or space-delimited string); both count. A token lacking one gets
 * 403 with `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`.
 *
 * On a handler it replaces (does not add to) the scopes of its controller.
 *
 * ```ts
 * @Scopes('orders:read', 'orders:write')
 * @Post('orders')
 * create() {}
 * ```
 * @throws TypeError when a scope is empty or contains a space, `"` or `\`.
 */
export function Scopes(...scopes: string[]): MethodDecorator & ClassDecorator {
  return SetMetadata(REQUIRED_SCOPES_KEY, checkedScopes('@Scopes()', scopes));
}

/**
 * The scopes of a decorator, frozen.
 * @throws TypeError when a scope is empty or contains a space, `"` or `\`.
 */
export function checkedScopes(decorator: string, scopes: readonly string[]): readonly string[] {
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
      throw new TypeError(
        `${decorator}: "${String(scope)}" is not a valid scope (printable ASCII, no space, '"' or '\\')`,
      );
    }
  }
  return Object.freeze([...scopes]);
}
