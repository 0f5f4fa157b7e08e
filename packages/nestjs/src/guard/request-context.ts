import type { JwtClaimsPayload } from '../config/options.js';
import type { JwtRequestContext } from '../internal/jwt-context-storage.js';

/** Admitted requests → their context. Weak: a request's entry goes with the request. */
const contexts = new WeakMap<object, JwtRequestContext>();

/**
 * Records the verified claims of an admitted request, for `@JwtClaims()` (which must not read
 * `request.user` once `guard.mapUser` put the app's user there) and for `JwtContextInterceptor`.
 */
export function setRequestContext(request: object, claims: JwtClaimsPayload): void {
  contexts.set(request, { claims });
}

/** The context `JwtGuard` recorded for this request, `undefined` for one it did not admit. */
export function requestContextOf(request: unknown): JwtRequestContext | undefined {
  return typeof request === 'object' && request !== null ? contexts.get(request) : undefined;
}
