import { SetMetadata } from '@nestjs/common';
import { assertOverridesShape } from '../jwks/verify-overrides.js';
import type { VerifyOverrides } from '../config/options.js';

/** Metadata key set by {@link JwtVerify}: the route's {@link VerifyOverrides}. */
export const JWT_VERIFY_OVERRIDES_KEY = 'jwks-cache:verify-overrides';

/**
 * Narrows how `JwtGuard` verifies tokens for a route or a controller: a stricter `audience`,
 * `typ`, extra `requiredClaims`, one `issuer` among the configured ones, fewer `algorithms`, a
 * `maxTokenAge` (ms). They are passed to `JwksProvider.verify(token, overrides)`, and may only add
 * checks: an `audience` within the issuer's (when it sets one), a `typ` only where the issuer sets
 * none, a `clockTolerance` no larger and a `maxTokenAge` no longer than the issuer's, `algorithms`
 * within its allow-list. One that would widen any issuer it can apply to (the one named by
 * `issuer`, else every configured issuer) is a `TypeError` at start (module init), naming the
 * route; a value of the wrong type already when the decorator is applied.
 *
 * On a handler it replaces (does not merge with) the overrides of its controller.
 *
 * ```ts
 * @JwtVerify({ audience: 'billing-api', typ: 'at+jwt', requiredClaims: ['sub'] })
 * @Controller('billing')
 * class BillingController {}
 * ```
 */
export function JwtVerify(overrides: VerifyOverrides): MethodDecorator & ClassDecorator {
  assertOverridesShape(overrides, '@JwtVerify()');
  // Frozen through and through: checked once, it cannot be changed into a widening one later.
  const frozen: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(overrides))
    frozen[name] = Array.isArray(value) ? Object.freeze([...(value as unknown[])]) : value;
  return SetMetadata(JWT_VERIFY_OVERRIDES_KEY, Object.freeze(frozen) as VerifyOverrides);
}
