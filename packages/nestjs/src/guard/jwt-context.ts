import { Inject, Injectable } from '@nestjs/common';
import { currentClaims, tenantFromClaims } from '../internal/jwt-context-storage.js';
import { JWKS_CACHE_CONFIG } from '../jwks-cache.module-definition.js';
import type { JwksCacheModuleOptions, JwtClaimsPayload } from '../config/options.js';

/**
 * The verified claims of the request being served, in any provider, without passing them down:
 * inject `JwtContext` and call {@link claims} or {@link tenant}. Backed by AsyncLocalStorage: the
 * context is opened (by `JwtContextInterceptor`, which `JwksCacheModule` registers globally when
 * `guard.context` is on — set it to `true`, or it is on by itself when a `tenantFrom` is set) for
 * each request `JwtGuard` admitted, and covers the interceptors, pipes, the handler and any async
 * work the handler starts (awaited or not, timers included), on every transport whose request
 * `JwtGuard` reads. Guards (`guard.mapUser` included) run before it opens: they get the claims as
 * arguments or from `@JwtClaims`. The app module's own global interceptors see it before
 * `next.handle()` only when `JwtContextInterceptor` is listed ahead of them there.
 *
 * Outside such a request (start-up, a queue consumer, a `@Public` route, the context off),
 * both give `undefined`; nothing throws. Concurrent requests never see each other's claims.
 *
 * ```ts
 * @Injectable()
 * class AuditLog {
 *   constructor(private readonly jwt: JwtContext) {}
 *   record(action: string) { return { action, by: this.jwt.claims()?.sub, tenant: this.jwt.tenant() }; }
 * }
 * ```
 */
@Injectable()
export class JwtContext {
  private readonly tenantFrom: ((claims: JwtClaimsPayload) => string | undefined) | undefined;

  constructor(@Inject(JWKS_CACHE_CONFIG) config: JwksCacheModuleOptions) {
    this.tenantFrom = config.guard?.tenantFrom;
  }

  /** The verified claims of the current request (not the mapped user), or `undefined` outside one. */
  claims(): JwtClaimsPayload | undefined {
    return currentClaims();
  }

  /**
   * The current request's tenant: `guard.tenantFrom(claims)`; `undefined` outside a request or
   * without `guard.tenantFrom`.
   * @throws TypeError when `guard.tenantFrom` gives anything but a string or `undefined`.
   */
  tenant(): string | undefined {
    const claims = currentClaims();
    if (claims === undefined || this.tenantFrom === undefined) return undefined;
    return tenantFromClaims(this.tenantFrom, claims, 'guard.tenantFrom');
  }
}
