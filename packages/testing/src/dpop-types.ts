/** Options of a DPoP proof (RFC 9449 §4.2), see `DpopKey.proof`. */
export interface DpopProofOptions {
  /** The HTTP method of the request, the `htm` claim (e.g. `'GET'`). */
  method: string;
  /** The request URL; its query and fragment are dropped to make the `htu` claim. */
  url: string;
  /** The access token the request carries: adds `ath` = base64url(SHA-256(token)). Default: none (as at a token endpoint). */
  accessToken?: string;
  /** The server nonce (`nonce` claim), from a `DPoP-Nonce` header. Default: none. */
  nonce?: string;
  /** The `iat` claim, in seconds since the epoch. Default: now, from `Date.now()` (a faked clock applies). */
  iat?: number;
  /** The `jti` claim. Default: a random UUID. */
  jti?: string;
  /** Merged into the protected header last (`typ`, `alg`, `jwk`, ...). Default: none. */
  header?: Record<string, unknown>;
  /** Merged into the claims last (`htu` as given, extra claims, ...). Default: none. */
  claims?: Record<string, unknown>;
  /** Claims to drop (`'jti'`, `'ath'`, ...). Default: none. */
  omit?: string[];
}

/**
 * A flaw of a proof made by `DpopKey.badProof`: each one breaks exactly one check of RFC 9449 §4.3
 * (except `'other-key'`, a valid proof by another key, which only a token bound to this key refuses).
 *
 * - `'wrong-typ'`: `typ: 'JWT'`.
 * - `'alg-none'`: `alg: 'none'`, no signature.
 * - `'symmetric-alg'`: `HS256`, keyed with the header's public JWK (an algorithm-confusion attempt).
 * - `'private-jwk'`: the `jwk` header carries the private key (`d`, ...); the signature is valid.
 * - `'bad-signature'`: the header names this key but another key signed.
 * - `'wrong-htm'`: `htm` is another method (`GET` ↔ `POST`).
 * - `'wrong-htu'`: `htu` is the URL with `/elsewhere` appended to its path.
 * - `'old-iat'` / `'future-iat'`: `iat` an hour before / after now.
 * - `'missing-jti'`: no `jti`.
 * - `'reused-jti'`: a new proof (fresh `iat`) with the `jti` of this key's previous proof.
 * - `'missing-ath'` / `'wrong-ath'`: no `ath` / the hash of another token.
 * - `'other-key'`: a valid proof by a fresh key, whose thumbprint no token bound to this key has.
 */
export type DpopProofFlaw =
  | 'wrong-typ'
  | 'alg-none'
  | 'symmetric-alg'
  | 'private-jwk'
  | 'bad-signature'
  | 'wrong-htm'
  | 'wrong-htu'
  | 'old-iat'
  | 'future-iat'
  | 'missing-jti'
  | 'reused-jti'
  | 'missing-ath'
  | 'wrong-ath'
  | 'other-key';
