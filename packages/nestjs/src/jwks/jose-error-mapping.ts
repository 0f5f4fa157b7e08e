import {
  AlgorithmNotAllowedError,
  ClaimValidationError,
  JwksCacheError,
  SignatureInvalidError,
  TokenExpiredError,
  TokenMalformedError,
  TokenRejectedError,
} from '../errors.js';

/**
 * Maps whatever jose (or WebCrypto under it) threw to this library's typed errors, so `verify`
 * never throws anything but a `JwksCacheError`. jose's errors are not attached as causes: its
 * claim errors carry the payload, which has no place in logs.
 */
export function toTokenError(error: unknown): JwksCacheError {
  if (error instanceof JwksCacheError) return error;
  const { code, claim, reason } = (error ?? {}) as { code?: unknown; claim?: unknown; reason?: unknown };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return new TokenExpiredError('The token has expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const name = typeof claim === 'string' ? claim : 'unknown';
      const why = typeof reason === 'string' ? reason : 'check_failed';
      return new ClaimValidationError(`The "${name}" claim is invalid (${why})`, name, why);
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new SignatureInvalidError('The token signature is invalid');
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return new AlgorithmNotAllowedError('The token algorithm is not allowed');
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return new TokenMalformedError('The token is malformed');
    default:
      return new TokenRejectedError('The token could not be verified');
  }
}
