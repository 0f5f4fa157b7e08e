import {
  AlgorithmNotAllowedError,
  AuthorizationMalformedError,
  ClaimValidationError,
  DpopNonceRequiredError,
  DpopProofInvalidError,
  DpopProofReplayedError,
  DpopSchemeError,
  HeaderNotAllowedError,
  KeySetUnavailableError,
  NoMatchingKeyError,
  SignatureInvalidError,
  TokenExpiredError,
  TokenMalformedError,
  TokenTooLargeError,
  UnknownIssuerError,
  UserRejectedError,
} from '../errors.js';

type ErrorClass = abstract new (...args: never[]) => Error;

/** Most specific classes first: `TokenTooLargeError` is a `TokenMalformedError`. */
const DESCRIPTIONS: ReadonlyArray<readonly [ErrorClass, string]> = [
  [AuthorizationMalformedError, 'The Authorization header must be Bearer followed by one token'],
  [DpopNonceRequiredError, 'The resource server requires a DPoP nonce'],
  [DpopProofReplayedError, 'The DPoP proof was already used'],
  [DpopProofInvalidError, 'The DPoP proof is invalid'],
  [DpopSchemeError, 'The access token was presented with the wrong authorization scheme'],
  [TokenTooLargeError, 'The access token is too large'],
  [TokenMalformedError, 'The access token is malformed'],
  [UnknownIssuerError, 'The access token issuer is not trusted'],
  [AlgorithmNotAllowedError, 'The access token algorithm is not allowed'],
  [HeaderNotAllowedError, 'The access token header is not allowed'],
  [NoMatchingKeyError, 'The access token signing key is unknown'],
  [SignatureInvalidError, 'The access token signature is invalid'],
  [TokenExpiredError, 'The access token expired'],
  [KeySetUnavailableError, 'The access token could not be verified'],
  [UserRejectedError, 'The access token subject is not accepted'],
];

/** Claim names are mapped, never echoed: the set of texts a client can see stays fixed. */
const CLAIM_DESCRIPTIONS: Readonly<Record<string, string>> = {
  aud: 'The access token audience is not accepted',
  iss: 'The access token issuer is not accepted',
  nbf: 'The access token is not yet valid',
  iat: 'The access token issue time is not accepted',
  exp: 'The access token expiry is not accepted',
  typ: 'The access token type is not accepted',
  sub: 'The access token subject is not accepted',
};

const FALLBACK = 'The access token is invalid';

/**
 * The `error_description` for a rejection: short, fixed per error class (and per claim for
 * claim checks), never derived from the token or the error message.
 */
export function describeRejection(error: unknown): string {
  if (error instanceof ClaimValidationError) {
    return Object.hasOwn(CLAIM_DESCRIPTIONS, error.claim)
      ? CLAIM_DESCRIPTIONS[error.claim]
      : 'The access token claims are not accepted';
  }
  const match = DESCRIPTIONS.find(([errorClass]) => error instanceof errorClass);
  return match === undefined ? FALLBACK : match[1];
}
