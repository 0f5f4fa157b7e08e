import type { Logger } from '@nestjs/common';
import {
  InsufficientRoleError,
  InsufficientScopeError,
  KeySetUnavailableError,
  TokenRejectedError,
  type JwksCacheError,
} from '../errors.js';
import { RateLimitedLogger } from '../observability/rate-limited-logger.js';
import type { BearerChallengeException } from './bearer-challenge-exception.js';
import { rejectionException } from './rejection-exception.js';

/**
 * The one rejection → answer mapping of `JwtGuard` and the passport strategy: logs the refusal
 * (its `code` and message, never the token) and gives the RFC 6750 answer of
 * {@link rejectionException}. A token's refusal is routine (debug); an outage — no usable key
 * set, or an error that is not about the token at all — refuses every request, so it is a
 * warning, at most one per error code per minute.
 */
export class RejectionAnswer {
  private readonly outageLog: RateLimitedLogger;

  /**
   * @param logger where the lines go (the guard's or the strategy's own logger).
   * @param realm the challenge's `realm` (`guard.realm`), left out when `undefined`.
   */
  constructor(
    private readonly logger: Logger,
    private readonly realm: string | undefined,
  ) {
    this.outageLog = new RateLimitedLogger(logger);
  }

  /** Logs `error` and returns the exception that answers it. */
  answer(error: JwksCacheError): BearerChallengeException {
    this.log(error);
    return rejectionException(error, this.realm);
  }

  /** Logs `error` as {@link answer} does, for a caller that builds its own answer. */
  log(error: JwksCacheError): void {
    const text = `Bearer token refused (${error.code}): ${error.message}`;
    if (isOutage(error)) this.outageLog.warn(error.code, text);
    else this.logger.debug(text);
  }
}

/** Whether `error` is not the token's fault: no usable key set, or anything but a token, scope or role refusal. */
export function isOutage(error: JwksCacheError): boolean {
  return (
    error instanceof KeySetUnavailableError ||
    !(
      error instanceof TokenRejectedError ||
      error instanceof InsufficientScopeError ||
      error instanceof InsufficientRoleError
    )
  );
}
