import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { VerifyOverrides } from '../config/options.js';
import { ANY_SCOPE_KEY } from './any-scope.js';
import { JWT_VERIFY_OVERRIDES_KEY } from './jwt-verify.js';
import { PUBLIC_ROUTE_KEY } from './public.js';
import { REQUIRED_ROLES_KEY } from './roles.js';
import type { RouteRequirements } from './route-requirements.js';
import { REQUIRED_SCOPES_KEY } from './scopes.js';

/** The decorators' metadata of one route. */
export interface RouteMetadata extends RouteRequirements {
  isPublic: boolean;
  overrides: VerifyOverrides | undefined;
}

/**
 * Reads `@Public`, `@Scopes`, `@AnyScope`, `@Roles` and `@JwtVerify` of a route (the handler's
 * metadata wins over the controller's, per decorator), once per handler and class.
 */
export class RouteMetadataReader {
  private readonly routeCache = new WeakMap<object, WeakMap<object, RouteMetadata>>();

  constructor(private readonly reflector: Reflector) {}

  read(context: ExecutionContext): RouteMetadata {
    const handler = context.getHandler();
    const type = context.getClass();
    let byHandler = this.routeCache.get(type);
    if (byHandler === undefined) this.routeCache.set(type, (byHandler = new WeakMap()));
    let route = byHandler.get(handler);
    if (route === undefined) {
      route = {
        isPublic: this.metadata<boolean>(PUBLIC_ROUTE_KEY, context) === true,
        overrides: this.metadata<VerifyOverrides>(JWT_VERIFY_OVERRIDES_KEY, context),
        scopes: this.metadata<readonly string[]>(REQUIRED_SCOPES_KEY, context) ?? [],
        anyScopes: this.metadata<readonly string[]>(ANY_SCOPE_KEY, context) ?? [],
        roles: this.metadata<readonly string[]>(REQUIRED_ROLES_KEY, context) ?? [],
      };
      byHandler.set(handler, route);
    }
    return route;
  }

  private metadata<T>(key: string, context: ExecutionContext): T | undefined {
    return this.reflector.getAllAndOverride<T | undefined>(key, [context.getHandler(), context.getClass()]);
  }
}
