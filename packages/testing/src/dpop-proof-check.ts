import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, EmbeddedJWK, type JWK, jwtVerify } from 'jose';
import type { DpopReplayCache } from './dpop-replay.js';
import { SUPPORTED_ALGORITHMS } from './types.js';

/** What a proof is checked against at the token endpoint. */
export interface ProofExpectation {
  /** The request's method. */
  method: string;
  /** The endpoint's URL (no query or fragment). */
  url: string;
  /** How far `iat` may be from now, in seconds. */
  maxProofAge: number;
  /** The nonce the proof must carry, when nonces are required. */
  nonce: string | undefined;
  /** Where accepted `jti`s are remembered. */
  replays: DpopReplayCache;
}

/** The outcome: the thumbprint of the proof's key, or the OAuth error to answer. */
export type ProofCheck = { jkt: string } | { error: 'invalid_dpop_proof' | 'use_dpop_nonce'; description: string };

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const ASYMMETRIC_KEY_TYPES = ['EC', 'RSA', 'OKP'];

const invalid = (description: string): ProofCheck => ({ error: 'invalid_dpop_proof', description });

/** RFC 3986 §6.2.2–6.2.3 normalization through WHATWG URL, without query and fragment. */
function normalizedTarget(url: string): string | undefined {
  try {
    const target = new URL(url);
    target.search = '';
    target.hash = '';
    return target.href;
  } catch {
    return undefined;
  }
}

function headerProblem(header: Record<string, unknown>): string | undefined {
  if (header.typ !== 'dpop+jwt') return 'typ must be dpop+jwt';
  if (typeof header.alg !== 'string' || !(SUPPORTED_ALGORITHMS as readonly string[]).includes(header.alg)) {
    return 'alg must be an asymmetric algorithm';
  }
  const jwk = header.jwk as JWK | undefined;
  if (typeof jwk !== 'object' || jwk === null || !ASYMMETRIC_KEY_TYPES.includes(jwk.kty as string))
    return 'jwk must be a public key';
  if (PRIVATE_JWK_MEMBERS.some((member) => member in jwk)) return 'jwk must not contain a private key';
  return undefined;
}

function claimsProblem(claims: Record<string, unknown>, expected: ProofExpectation): string | undefined {
  if (typeof claims.jti !== 'string' || !claims.jti) return 'jti is required';
  if (claims.htm !== expected.method) return 'htm does not match the request method';
  if (typeof claims.htu !== 'string' || normalizedTarget(claims.htu) !== normalizedTarget(expected.url)) {
    return 'htu does not match the request URL';
  }
  if (typeof claims.iat !== 'number') return 'iat is required';
  if (Math.abs(Date.now() / 1000 - claims.iat) > expected.maxProofAge) return 'iat is outside the accepted window';
  return undefined;
}

/**
 * Checks a DPoP proof as RFC 9449 §4.3 says, for a token endpoint (so without `ath`): `typ`, `alg`
 * asymmetric, `jwk` public, signature, `jti`, `htm`, `htu`, `iat` window, then the nonce, then the
 * replay of its `jti` (remembered only once the proof passed everything else).
 */
export async function checkDpopProof(proof: string, expected: ProofExpectation): Promise<ProofCheck> {
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(proof);
    decodeJwt(proof);
  } catch {
    return invalid('the proof is not a JWT');
  }
  const problem = headerProblem(header);
  if (problem) return invalid(problem);
  let claims: Record<string, unknown>;
  try {
    ({ payload: claims } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: [...SUPPORTED_ALGORITHMS],
    }));
  } catch {
    return invalid('the proof signature is invalid');
  }
  const claimProblem = claimsProblem(claims, expected);
  if (claimProblem) return invalid(claimProblem);
  if (expected.nonce !== undefined && claims.nonce !== expected.nonce) {
    return {
      error: 'use_dpop_nonce',
      description: 'the authorization server requires a current nonce in the DPoP proof',
    };
  }
  const windowEndMs = ((claims.iat as number) + expected.maxProofAge) * 1000;
  if (!expected.replays.accept(claims.jti as string, windowEndMs))
    return invalid('the proof was already used (jti replay)');
  return { jkt: await calculateJwkThumbprint(header.jwk as JWK, 'sha256') };
}
