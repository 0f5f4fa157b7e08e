import { AsyncLocalStorage } from 'node:async_hooks';
import type { JwtClaimsPayload } from '../config/options.js';

/** What one admitted request carries through its call chain. */
export interface JwtRequestContext {
  /** The claims `JwtGuard` verified (never the mapped user). */
  readonly claims: JwtClaimsPayload;
}

/**
 * The one AsyncLocalStorage of the request context: `JwtContextInterceptor` runs each admitted
 * request's handler in it, `JwtContext` and `TokenCacheService` (`tenantFrom`) read it. Entered only
 * with `run()`, never `enterWith()`: a store entered with `enterWith()` in a request stays on the
 * connection's async resource and would be seen by the next request on that keep-alive connection.
 */
export const jwtContextStorage = new AsyncLocalStorage<JwtRequestContext>();

/**
 * The claims of the request being served, `undefined` outside one (no admitted request in this
 * async call chain, a `@Public` route, `guard.context: false`).
 */
export function currentClaims(): JwtClaimsPayload | undefined {
  return jwtContextStorage.getStore()?.claims;
}

/**
 * `tenantFrom(claims)`, checked: a tenant is a string or `undefined`.
 * @param option the option's path, for the error.
 * @throws TypeError when the function gives anything else.
 */
export function tenantFromClaims(
  tenantFrom: (claims: JwtClaimsPayload) => string | undefined,
  claims: JwtClaimsPayload,
  option: string,
): string | undefined {
  const tenant: unknown = tenantFrom(claims);
  if (tenant === undefined || typeof tenant === 'string') return tenant;
  throw new TypeError(
    `${option} must give a string or undefined, not ${tenant === null ? 'null' : `a ${typeof tenant}`}`,
  );
}
