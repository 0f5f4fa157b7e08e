import { compactVerify, flattenedVerify, type FlattenedJWSInput } from 'jose';
import { MultipleMatchingKeysError, NoMatchingKeyError, SignatureInvalidError } from '../errors.js';
import type { VerificationKey } from './imported-key-cache.js';
import type { UsableKey } from './key-set.js';

/** What a token's header asks for. */
export interface KeyQuery {
  kid: string | undefined;
  alg: string;
}

/**
 * At most this many matching keys are tried (jose's multiple-matching-keys rule): without a
 * `kid`, or when several keys share one. The same on every path, see {@link firstVerifyingCandidate}.
 */
export const MAX_CANDIDATES = 5;

/** The key type (and curve) each signature algorithm needs. */
export const ALGORITHM_KEY_TYPES: Readonly<Record<string, { readonly kty: string; readonly crv?: string }>> = {
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
  PS384: { kty: 'RSA' },
  PS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  ES512: { kty: 'EC', crv: 'P-521' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  Ed25519: { kty: 'OKP', crv: 'Ed25519' },
  HS256: { kty: 'oct' },
  HS384: { kty: 'oct' },
  HS512: { kty: 'oct' },
};

/** The key type an algorithm needs, or `undefined` for an algorithm this library does not know. */
export function keyTypeOf(alg: string): string | undefined {
  return ALGORITHM_KEY_TYPES[alg]?.kty;
}

/**
 * Selects the keys that may verify a token, after jose's rules: the key type (and curve) must fit
 * `alg`, `kid` must match when the token has one, a key's own `alg` must equal the token's.
 * (`use` and `key_ops` were already enforced when the set was parsed.) An HMAC algorithm only
 * ever selects `oct` keys, so a public key is never used as an HMAC secret.
 */
export function selectKeys(keys: readonly UsableKey[], query: KeyQuery): UsableKey[] {
  const needed = ALGORITHM_KEY_TYPES[query.alg];
  if (needed === undefined) return [];
  const candidates: UsableKey[] = [];
  for (const key of keys) {
    if (key.kty !== needed.kty) continue;
    if (query.kid !== undefined && key.kid !== query.kid) continue;
    if (key.alg !== undefined && key.alg !== query.alg) continue;
    if (needed.crv !== undefined && key.crv !== needed.crv) continue;
    candidates.push(key);
    if (candidates.length === MAX_CANDIDATES) break;
  }
  return candidates;
}

/** Imports a candidate: at once when it is cached, `undefined` when it cannot be imported. */
export type CandidateImporter = (key: UsableKey) => VerificationKey | undefined | Promise<VerificationKey | undefined>;

/** The candidate that won, imported, with what the attempt returned. */
export interface VerifiedCandidate<T> {
  key: UsableKey;
  imported: VerificationKey;
  result: T;
}

/**
 * The one rule of every path (`verify`, `getKey`, `keyResolver`, passport) once
 * {@link selectKeys} found the candidates: each is tried in order, and only a bad signature moves
 * on to the next; any other failure (an expired token, a wrong audience) is thrown at once.
 * @throws {NoMatchingKeyError} when no candidate could be imported.
 * @throws {SignatureInvalidError} when every imported candidate refused the signature.
 */
export async function firstVerifyingCandidate<T>(
  candidates: readonly UsableKey[],
  importKey: CandidateImporter,
  attempt: (imported: VerificationKey) => Promise<T>,
  issuer: string,
): Promise<VerifiedCandidate<T>> {
  let imported = 0;
  for (const key of candidates) {
    const importing = importKey(key);
    // A cached key costs no promise hop: this loop is on the path of every first verification.
    const verificationKey = importing instanceof Promise ? await importing : importing;
    if (verificationKey === undefined) continue;
    imported++;
    try {
      return { key, imported: verificationKey, result: await attempt(verificationKey) };
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw error;
    }
  }
  if (imported === 0) throw new NoMatchingKeyError(`No key of issuer ${issuer} could be imported for the token`);
  throw new SignatureInvalidError('The token signature is invalid');
}

/**
 * The key to hand out for a header (`getKey`, `keyResolver`, passport): the only candidate as it
 * is, or, when several fit (no `kid`), the one whose signature over `token` verifies — the same
 * keys `verify()` would try. Only then is the signature checked here (once more by the caller).
 * @param token the compact JWS, or jose's flattened form (what a `JWTVerifyGetKey` receives).
 * @throws {MultipleMatchingKeysError} when several keys fit and no token was given.
 */
export async function keyForToken(
  candidates: readonly UsableKey[],
  importKey: CandidateImporter,
  query: KeyQuery,
  token: string | FlattenedJWSInput | undefined,
  issuer: string,
): Promise<VerificationKey> {
  if (candidates.length > 1) {
    if (token === undefined) {
      throw new MultipleMatchingKeysError(
        `Several keys of issuer ${issuer} fit a header without kid; pass the token to pick the one that verifies`,
      );
    }
    const options = { algorithms: [query.alg] };
    const checkSignature = async (key: VerificationKey): Promise<void> => {
      await (typeof token === 'string' ? compactVerify(token, key, options) : flattenedVerify(token, key, options));
    };
    return (await firstVerifyingCandidate(candidates, importKey, checkSignature, issuer)).imported;
  }
  const only = candidates.length === 1 ? await importKey(candidates[0]) : undefined;
  if (only === undefined) throw new NoMatchingKeyError(`No key of issuer ${issuer} could be imported for the token`);
  return only;
}
