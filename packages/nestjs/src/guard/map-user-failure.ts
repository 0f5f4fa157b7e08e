import { HttpException, InternalServerErrorException, type Logger } from '@nestjs/common';
import { JwksCacheError } from '../errors.js';

/**
 * What a failing `mapUser` is answered with: an `HttpException` (the app's own answer, e.g. a
 * `ForbiddenException`) or one of this library's errors as it is; anything else is a bug or an
 * outage of the app's user store, logged here with its stack (the token is not part of it) and
 * answered 500 with a fixed message, so that nothing of the error reaches the client.
 */
export function mapUserFailure(error: unknown, logger: Logger): unknown {
  if (error instanceof HttpException || error instanceof JwksCacheError) return error;
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? `: ${error.message}` : '';
  logger.error(`guard.mapUser failed (${name})${message}`, error instanceof Error ? error.stack : undefined);
  return new InternalServerErrorException('The user could not be resolved', { cause: error });
}
