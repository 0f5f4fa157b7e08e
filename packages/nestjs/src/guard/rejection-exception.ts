import { HttpStatus } from '@nestjs/common';
import {
  AuthorizationMalformedError,
  InsufficientScopeError,
  type JwksCacheError,
  TokenMissingError,
} from '../errors.js';
import { BearerChallengeException } from './bearer-challenge-exception.js';
import { describeRejection } from './rejection-description.js';

/**
 * The HTTP answer to a refused request, the one mapping `JwtGuard` and the passport interop share
 * (RFC 6750 §3): no token → 401 with a bare challenge; a malformed Bearer header → 400
 * `invalid_request`; a missing scope → 403 `insufficient_scope`; any other refusal → 401
 * `invalid_token` with a fixed `error_description`.
 * @param realm the challenge's `realm` (`guard.realm`), left out when `undefined`.
 */
export function rejectionException(error: JwksCacheError, realm: string | undefined): BearerChallengeException {
  if (error instanceof TokenMissingError) {
    return new BearerChallengeException(HttpStatus.UNAUTHORIZED, { realm }, { cause: error });
  }
  if (error instanceof InsufficientScopeError) {
    const scope = error.required.join(' ');
    return new BearerChallengeException(
      HttpStatus.FORBIDDEN,
      { realm, error: 'insufficient_scope', scope },
      { cause: error },
    );
  }
  const invalidRequest = error instanceof AuthorizationMalformedError;
  return new BearerChallengeException(
    invalidRequest ? HttpStatus.BAD_REQUEST : HttpStatus.UNAUTHORIZED,
    { realm, error: invalidRequest ? 'invalid_request' : 'invalid_token', error_description: describeRejection(error) },
    { cause: error },
  );
}
