import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { JwtClaimsPayload } from '../config/options.js';
import { verifiedOf } from './request-context.js';
import { transportRequest } from './transports/transport-for.js';

function claimsOf(claim: string | undefined, context: ExecutionContext): unknown {
  // The HTTP request, or the GraphQL, message or connection request of docs/transports.md.
  const request = transportRequest(context);
  // JwtGuard records the claims apart from `user`, which `guard.mapUser` may have replaced; the
  // passport interop (`JwksStrategy`) puts them on `user`.
  const claims = verifiedOf(request)?.payload ?? (request.user as JwtClaimsPayload | undefined);
  return claim === undefined ? claims : claims?.[claim];
}

/**
 * Parameter decorator giving the verified claims of the request: `@JwtClaims()` all of them,
 * `@JwtClaims('sub')` one claim (`undefined` when absent). Also with `guard.mapUser`, when
 * `request.user` is the app's user: this stays the claims. Works with Express and Fastify requests
 * alike, and after the passport interop (`JwksStrategy`), which puts the claims on `request.user`;
 * and on GraphQL resolvers, message handlers and gateways (`docs/transports.md`).
 *
 * ```ts
 * @Get('me')
 * me(@JwtClaims('sub') subject: string, @JwtClaims() claims: JwtClaimsPayload) {}
 * ```
 */
export const JwtClaims = createParamDecorator<string | undefined>(claimsOf);
