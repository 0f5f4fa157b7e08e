import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { JwtClaimsPayload } from '../options.js';
import { requestContextOf } from './request-context.js';

/** Where the passport interop (`JwksStrategy`) puts the verified claims. */
interface RequestWithClaims {
  user?: JwtClaimsPayload;
}

function claimsOf(claim: string | undefined, context: ExecutionContext): unknown {
  const request = context.switchToHttp().getRequest<RequestWithClaims>();
  // JwtGuard records the claims apart from `user`, which `guard.mapUser` may have replaced.
  const claims = requestContextOf(request)?.claims ?? request.user;
  return claim === undefined ? claims : claims?.[claim];
}

/**
 * Parameter decorator giving the verified claims of the request: `@JwtClaims()` all of them,
 * `@JwtClaims('sub')` one claim (`undefined` when absent). Also with `guard.mapUser`, when
 * `request.user` is the app's user: this stays the claims. Works with Express and Fastify requests
 * alike, and after the passport interop (`JwksStrategy`), which puts the claims on `request.user`.
 *
 * ```ts
 * @Get('me')
 * me(@JwtClaims('sub') subject: string, @JwtClaims() claims: JwtClaimsPayload) {}
 * ```
 */
export const JwtClaims = createParamDecorator<string | undefined>(claimsOf);
