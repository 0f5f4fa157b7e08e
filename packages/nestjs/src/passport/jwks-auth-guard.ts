import { type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { BearerChallengeException } from '../guard/bearer-challenge-exception.js';
import { setChallengeHeader } from '../guard/set-challenge-header.js';

/**
 * `AuthGuard('jwks')` that answers like `JwtGuard`: `@UseGuards(JwksAuthGuard)` where a passport
 * app had `@UseGuards(AuthGuard('jwt'))`, with {@link JwksStrategy} (or a subclass) among the
 * providers.
 *
 * Passport's `AuthGuard` turns every failure into a bare 401 and drops the strategy's challenge;
 * this one throws the {@link BearerChallengeException} `JwksStrategy` failed with and sets its
 * RFC 6750 `WWW-Authenticate` on the response: 401 `invalid_token` with the fixed
 * `error_description`, a bare `Bearer` challenge for a missing token, 400 `invalid_request` for a
 * malformed Bearer header. Errors are rethrown as they are; the user is `validate()`'s result.
 */
@Injectable()
export class JwksAuthGuard extends AuthGuard('jwks') {
  override handleRequest<TUser = unknown>(
    error: unknown,
    user: unknown,
    info: unknown,
    context: ExecutionContext,
  ): TUser {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- what the strategy failed with (validate() may throw anything): rethrown unchanged, as passport's AuthGuard does
    if (error !== null && error !== undefined) throw error;
    if (user !== null && user !== undefined && user !== false) return user as TUser;
    if (info instanceof BearerChallengeException) {
      setChallengeHeader(context, info);
      throw info;
    }
    // Only a strategy other than JwksStrategy registered as 'jwks' fails without one.
    throw new UnauthorizedException();
  }
}
