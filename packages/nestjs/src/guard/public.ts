import { SetMetadata } from '@nestjs/common';

/** Metadata key set by {@link Public}. */
export const PUBLIC_ROUTE_KEY = 'jwks-cache:public';

/**
 * Marks a route (or every route of a controller) as public: `JwtGuard` lets it through without
 * looking for a token, also when the guard is global (`APP_GUARD`). `request.user` stays unset.
 *
 * ```ts
 * @Public()
 * @Get('health')
 * health() { return 'ok'; }
 * ```
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE_KEY, true);
