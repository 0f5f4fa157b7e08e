import type { VerifiedToken } from '../jwks/verified-token.js';

/**
 * Where `JwtGuard` keeps the verification result of a request it admitted: a symbol property of
 * the request, so it never clashes with the app's properties and goes with the request. (A
 * WeakMap keyed by requests cost every guarded request an ephemeron entry for the garbage
 * collector: on Fastify the guard fell from 1.0× to 0.8× a guard that only sets `request.user`.)
 */
const VERIFIED = Symbol('jwks-cache.verified');

interface RequestWithVerified {
  [VERIFIED]?: VerifiedToken;
}

/**
 * Records the verification result of an admitted request, for `@JwtClaims()` (which must not read
 * `request.user` once `guard.mapUser` put the app's user there), `@JwtIssuer()` and
 * `JwtContextInterceptor`.
 */
export function rememberVerified(request: object, verified: VerifiedToken): void {
  (request as RequestWithVerified)[VERIFIED] = verified;
}

/** What `JwtGuard` recorded for this request, `undefined` for one it did not admit. */
export function verifiedOf(request: unknown): VerifiedToken | undefined {
  return typeof request === 'object' && request !== null ? (request as RequestWithVerified)[VERIFIED] : undefined;
}
