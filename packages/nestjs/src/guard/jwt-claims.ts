import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { JwtClaimsPayload } from '../options.js';
import { transportRequest } from './transports/transport-for.js';

function claimsOf(claim: string | undefined, context: ExecutionContext): unknown {
  const claims: JwtClaimsPayload | undefined = transportRequest(context).user;
  return claim === undefined ? claims : claims?.[claim];
}

/**
 * Parameter decorator giving the verified claims that `JwtGuard` put on `request.user`:
 * `@JwtClaims()` all of them, `@JwtClaims('sub')` one claim (`undefined` when absent).
 * Works with Express and Fastify requests alike, and on GraphQL resolvers, message handlers and
 * gateways (`docs/transports.md`).
 *
 * ```ts
 * @Get('me')
 * me(@JwtClaims('sub') subject: string, @JwtClaims() claims: JwtClaimsPayload) {}
 * ```
 */
export const JwtClaims = createParamDecorator<string | undefined>(claimsOf);
