import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { JwtClaimsPayload } from '../config/options.js';

/** What `JwtGuard` (and `JwksStrategy`) put the verified claims on. */
interface RequestWithClaims {
  user?: JwtClaimsPayload;
}

function claimsOf(claim: string | undefined, context: ExecutionContext): unknown {
  const claims = context.switchToHttp().getRequest<RequestWithClaims>().user;
  return claim === undefined ? claims : claims?.[claim];
}

/**
 * Parameter decorator giving the verified claims that `JwtGuard` put on `request.user`:
 * `@JwtClaims()` all of them, `@JwtClaims('sub')` one claim (`undefined` when absent).
 * Works with Express and Fastify requests alike.
 *
 * ```ts
 * @Get('me')
 * me(@JwtClaims('sub') subject: string, @JwtClaims() claims: JwtClaimsPayload) {}
 * ```
 */
export const JwtClaims = createParamDecorator<string | undefined>(claimsOf);
