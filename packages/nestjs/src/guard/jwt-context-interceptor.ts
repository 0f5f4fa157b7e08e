import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { jwtContextStorage } from '../internal/jwt-context-storage.js';
import { JWKS_CACHE_RESOLVED_CONFIG } from '../jwks-cache.module-definition.js';
import type { ResolvedConfig } from '../config/resolve-config.js';
import { verifiedOf } from './request-context.js';
import { transportRequestIfAny } from './transports/transport-for.js';

/**
 * Opens the `JwtContext` of a request `JwtGuard` admitted: the rest of the interceptor chain (also
 * what interceptors do with the handler's result) and the handler run inside
 * `AsyncLocalStorage.run()` with that request's claims. A request the guard did not admit passes
 * through untouched. `JwksCacheModule` registers it as a global interceptor (`APP_INTERCEPTOR`) when
 * the context is on (`guard.context`, or a `tenantFrom` that needs it: see `jwtContextEnabled`); otherwise
 * no interceptor is added to any route. Nest applies the app module's own global interceptors
 * before an imported module's: list `{ provide: APP_INTERCEPTOR, useClass: JwtContextInterceptor }`
 * first in the app module for them to see the context before `next.handle()` as well.
 *
 * A guard cannot open the context itself: it returns before the handler runs, so it could only
 * use `enterWith()`, whose store stays on the connection and leaks into the next request on it.
 */
@Injectable()
export class JwtContextInterceptor implements NestInterceptor {
  private readonly enabled: boolean;

  constructor(@Inject(JWKS_CACHE_RESOLVED_CONFIG) config: ResolvedConfig) {
    this.enabled = config.jwtContext;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.enabled) return next.handle();
    const claims = verifiedOf(this.getRequest(context))?.payload;
    // Also when a second JwksCacheModule's interceptor finds the context already open.
    if (claims === undefined || jwtContextStorage.getStore()?.claims === claims) return next.handle();
    const entry = { claims };
    // Called and subscribed inside run(): Nest binds the handler to the async context of handle(),
    // and the callbacks the subscription registers (what interceptors do after the handler) run
    // in the context they were registered in.
    return new Observable((subscriber) => jwtContextStorage.run(entry, () => next.handle().subscribe(subscriber)));
  }

  /** The request `JwtGuard` admitted: the same as `JwtGuard.getRequest()`; override both together. */
  protected getRequest(context: ExecutionContext): unknown {
    return transportRequestIfAny(context);
  }
}
