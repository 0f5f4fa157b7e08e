import { SetMetadata } from '@nestjs/common';
import type { VerifyOverrides } from '../options.js';

/** Metadata key set by {@link JwtVerify}: the route's {@link VerifyOverrides}. */
export const JWT_VERIFY_OVERRIDES_KEY = 'jwks-cache:verify-overrides';

/**
 * Narrows how `JwtGuard` verifies tokens for a route or a controller: a stricter `audience`,
 * `typ`, extra `requiredClaims`, one `issuer` among the configured ones, fewer `algorithms`, a
 * `maxTokenAge` (ms). They are passed to `JwksProvider.verify(token, overrides)`, which intersects
 * them with the issuer's settings: they can never widen what the issuer allows.
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
  if (overrides === null || typeof overrides !== 'object') {
    throw new TypeError('@JwtVerify(): the overrides must be an object');
  }
  return SetMetadata(JWT_VERIFY_OVERRIDES_KEY, Object.freeze({ ...overrides }));
}
