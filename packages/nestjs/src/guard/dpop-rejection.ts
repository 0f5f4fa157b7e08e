import { HttpStatus } from '@nestjs/common';
import {
  AuthorizationMalformedError,
  DpopNonceRequiredError,
  DpopProofInvalidError,
  DpopSchemeError,
  InsufficientScopeError,
  type JwksCacheError,
  TokenMissingError,
} from '../errors.js';
import type { AcceptedSchemes } from '../dpop/dpop-request-verifier.js';
import { BearerChallengeException, formatBearerChallenge, quoted } from './bearer-challenge-exception.js';
import { describeRejection } from './rejection-description.js';
import { rejectionException } from './rejection-exception.js';

/** The header a resource server hands its DPoP nonce out in (RFC 9449 §9). */
export const DPOP_NONCE_HEADER = 'DPoP-Nonce';

type DpopErrorCode =
  'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof' | 'use_dpop_nonce';

/** `DPoP realm="…", error="…", error_description="…", scope="…", algs="…"`, absent parameters left out. */
export function formatDpopChallenge(params: {
  realm?: string;
  error?: DpopErrorCode;
  error_description?: string;
  scope?: string;
  algs: readonly string[];
}): string {
  const parts: string[] = [];
  for (const name of ['realm', 'error', 'error_description', 'scope'] as const) {
    const value = params[name];
    if (value !== undefined) parts.push(`${name}=${quoted(value)}`);
  }
  if (params.algs.length > 0) parts.push(`algs=${quoted(params.algs.join(' '))}`);
  return parts.length === 0 ? 'DPoP' : `DPoP ${parts.join(', ')}`;
}

/**
 * The HTTP answer to a refused request once DPoP is in play (RFC 9449 §7.1, §9), on top of
 * {@link rejectionException}'s RFC 6750 mapping: a request that used the DPoP scheme gets its
 * error in a `DPoP` challenge (`invalid_dpop_proof`, `use_dpop_nonce` with a `DPoP-Nonce`
 * header, `invalid_token`, …) followed by a bare `Bearer` one when Bearer is accepted too; a
 * Bearer request refused for its scheme gets the Bearer error and a bare `DPoP algs="…"`. Answers
 * without a token offer DPoP when an issuer configures it (or requires it), Bearer when an issuer
 * accepts it. Without any DPoP configuration the answers are exactly the RFC 6750 ones.
 * @param usedDpop the request's `Authorization` used the DPoP scheme.
 */
export function dpopRejectionException(
  error: JwksCacheError,
  realm: string | undefined,
  accepted: AcceptedSchemes,
  usedDpop: boolean,
): BearerChallengeException {
  const base = rejectionException(error, realm);
  const schemeError = error instanceof DpopSchemeError;
  const offerDpop = accepted.dpop && (accepted.advertiseDpop || !accepted.bearer || schemeError);
  if (!usedDpop && !(error instanceof DpopProofInvalidError) && !offerDpop) return base;
  const algs = accepted.algorithms;
  const bareBearer = accepted.bearer ? formatBearerChallenge({ realm }) : undefined;
  const bareDpop = accepted.dpop ? formatDpopChallenge({ realm, algs }) : undefined;
  const join = (...challenges: (string | undefined)[]): string =>
    challenges.filter((value) => value !== undefined).join(', ');
  if (!usedDpop) {
    // The Bearer answer as it was, with the DPoP scheme offered beside it.
    const bearer = accepted.bearer || !(error instanceof TokenMissingError) ? base.challenge : undefined;
    return base.withChallenge(join(bearer, bareDpop));
  }
  const { status, code } = dpopErrorOf(error);
  const description = describeRejection(error);
  const scope = error instanceof InsufficientScopeError ? error.required.join(' ') : undefined;
  const challenge = join(
    formatDpopChallenge({ realm, error: code, error_description: description, scope, algs }),
    bareBearer,
  );
  const headers = error instanceof DpopNonceRequiredError ? { [DPOP_NONCE_HEADER]: error.nonce } : undefined;
  const bodyError = code === 'invalid_request' || code === 'insufficient_scope' ? code : 'invalid_token';
  return new BearerChallengeException(
    status,
    { error: bodyError, error_description: description },
    { cause: error, challenge, headers },
  );
}

function dpopErrorOf(error: JwksCacheError): { status: HttpStatus; code: DpopErrorCode } {
  if (error instanceof DpopNonceRequiredError) return { status: HttpStatus.UNAUTHORIZED, code: 'use_dpop_nonce' };
  if (error instanceof DpopProofInvalidError) return { status: HttpStatus.UNAUTHORIZED, code: 'invalid_dpop_proof' };
  if (error instanceof AuthorizationMalformedError) return { status: HttpStatus.BAD_REQUEST, code: 'invalid_request' };
  if (error instanceof InsufficientScopeError) return { status: HttpStatus.FORBIDDEN, code: 'insufficient_scope' };
  return { status: HttpStatus.UNAUTHORIZED, code: 'invalid_token' };
}
