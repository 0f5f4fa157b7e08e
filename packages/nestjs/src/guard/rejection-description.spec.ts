import { describe, expect, it } from '@jest/globals';
import {
  AlgorithmNotAllowedError,
  AuthorizationMalformedError,
  ClaimValidationError,
  HeaderNotAllowedError,
  JwksCacheError,
  KeySetUnavailableError,
  NoMatchingKeyError,
  SignatureInvalidError,
  TokenExpiredError,
  TokenMalformedError,
  TokenRejectedError,
  TokenTooLargeError,
  UnknownIssuerError,
} from '../errors.js';
import { describeRejection } from './rejection-description.js';

const SECRET = 'eyJhbGciOiJub25lIn0.secret-looking-content';

describe('describeRejection', () => {
  it.each([
    [new TokenTooLargeError(SECRET), 'The access token is too large'],
    [new TokenMalformedError(SECRET), 'The access token is malformed'],
    [new UnknownIssuerError(SECRET), 'The access token issuer is not trusted'],
    [new AlgorithmNotAllowedError(SECRET), 'The access token algorithm is not allowed'],
    [new HeaderNotAllowedError(SECRET), 'The access token header is not allowed'],
    [new NoMatchingKeyError(SECRET), 'The access token signing key is unknown'],
    [new SignatureInvalidError(SECRET), 'The access token signature is invalid'],
    [new TokenExpiredError(SECRET), 'The access token expired'],
    [new KeySetUnavailableError(SECRET), 'The access token could not be verified'],
    [new AuthorizationMalformedError(SECRET), 'The Authorization header must be Bearer followed by one token'],
    [new ClaimValidationError(SECRET, 'aud'), 'The access token audience is not accepted'],
    [new ClaimValidationError(SECRET, 'nbf'), 'The access token is not yet valid'],
    [new ClaimValidationError(SECRET, 'typ'), 'The access token type is not accepted'],
    [new ClaimValidationError(SECRET, 'x"<script>'), 'The access token claims are not accepted'],
    [new ClaimValidationError(SECRET, 'constructor'), 'The access token claims are not accepted'],
    [new TokenRejectedError(SECRET), 'The access token is invalid'],
    [new JwksCacheError(SECRET), 'The access token is invalid'],
  ])('gives a fixed text for %p, never the message', (error, description) => {
    expect(describeRejection(error)).toBe(description);
    expect(describeRejection(error)).not.toContain('secret');
  });
});
