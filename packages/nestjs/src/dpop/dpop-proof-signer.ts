import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  randomUUID,
  type JsonWebKey,
  type webcrypto,
} from 'node:crypto';
import { SignJWT, type JWK } from 'jose';
import type { DpopClientOptions } from '../config/options.js';
import { ASYMMETRIC_ALGORITHMS } from '../jwks/algorithms.js';
import { accessTokenHash } from './verify-dpop-proof.js';

/** Origins whose last `DPoP-Nonce` is remembered, at most (oldest forgotten first). */
const MAX_REMEMBERED_NONCES = 1_000;
const ASYMMETRIC = new Set<string>(ASYMMETRIC_ALGORITHMS);

/** RFC 7638 required members, per key type, in lexicographic order. */
const THUMBPRINT_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
};

/** What a proof is for. */
export interface ProofTarget {
  /** HTTP method, e.g. `POST`. */
  method: string;
  /** The request URL (the proof's `htu` leaves out its query and fragment). */
  url: string;
  /** The access token the proof goes with (its hash becomes `ath`). */
  accessToken?: string;
}

/**
 * The client side of DPoP (RFC 9449 §4): one key pair per token source — made at start (ES256,
 * never leaving the process) or configured (`dpop.privateKey`, the same on every instance) —
 * and a fresh proof for every request. Remembers the last `DPoP-Nonce` each origin sent, so the
 * next proof to that origin carries it. The private key is never serialized, logged or stored.
 */
export class DpopProofSigner {
  /** RFC 7638 thumbprint of the public key: the `cnf.jkt` of tokens bound to it. */
  readonly jkt: string;
  private readonly publicJwk: JWK;
  /** `RSA`, `EC` or `OKP`. */
  readonly publicKeyType: string;
  private readonly nonces = new Map<string, string>();

  private constructor(
    private readonly privateKey: KeyObject,
    readonly alg: string,
    /** Whether the key was configured (the same on every instance), rather than made in this process. */
    readonly configured: boolean,
  ) {
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JsonWebKey & Record<string, string>;
    const members = THUMBPRINT_MEMBERS[jwk.kty as string];
    if (members === undefined)
      throw new TypeError('JwksCacheModule: a DPoP key must be an RSA, EC or Ed25519 private key');
    this.publicKeyType = jwk.kty as string;
    this.publicJwk = Object.fromEntries(members.map((member) => [member, jwk[member]]));
    const canonical = JSON.stringify(Object.fromEntries(members.map((member) => [member, jwk[member]])));
    this.jkt = createHash('sha256').update(canonical).digest('base64url');
  }

  /** `dpop: true` (an ES256 key made now) or `dpop: { privateKey, alg }` of a token source. */
  static fromOption(option: true | DpopClientOptions): DpopProofSigner {
    if (option === true)
      return new DpopProofSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ES256', false);
    return new DpopProofSigner(toPrivateKeyObject(option.privateKey), option.alg, true);
  }

  /** A new proof (new `jti`, `iat` now) for `target`, with the origin's last nonce when it sent one. */
  async proof(target: ProofTarget): Promise<string> {
    const url = new URL(target.url);
    const claims: Record<string, unknown> = {
      jti: randomUUID(),
      htm: target.method.toUpperCase(),
      htu: `${url.origin}${url.pathname}`,
    };
    if (target.accessToken !== undefined) claims.ath = accessTokenHash(target.accessToken);
    const nonce = this.nonces.get(url.origin);
    if (nonce !== undefined) claims.nonce = nonce;
    return new SignJWT(claims)
      .setProtectedHeader({ typ: 'dpop+jwt', alg: this.alg, jwk: this.publicJwk })
      .setIssuedAt()
      .sign(this.privateKey);
  }

  /**
   * Remembers the `DPoP-Nonce` of an answer from `url`'s origin.
   * @param oauthError the OAuth `error` of a token endpoint's JSON answer, when it has one.
   * @returns whether the answer asks to retry with that nonce (RFC 9449 §8 and §9:
   *   `use_dpop_nonce`, in a 400 answer of a token endpoint or a 401 `WWW-Authenticate`).
   */
  noteAnswer(url: string, response: Pick<Response, 'status' | 'headers'>, oauthError?: unknown): boolean {
    const nonce = response.headers.get('dpop-nonce');
    // RFC 9449 §8.1: NQCHAR (%x21 / %x23-5B / %x5D-7E).
    if (nonce === null || !/^[\x21\x23-\x5B\x5D-\x7E]{1,512}$/.test(nonce)) return false;
    const origin = new URL(url).origin;
    this.nonces.delete(origin);
    this.nonces.set(origin, nonce);
    if (this.nonces.size > MAX_REMEMBERED_NONCES) this.nonces.delete(this.nonces.keys().next().value!);
    if (response.status === 401)
      return /\bDPoP\b.*error="use_dpop_nonce"/i.test(response.headers.get('www-authenticate') ?? '');
    return response.status === 400 && oauthError === 'use_dpop_nonce';
  }
}

/** A configured key: a `KeyObject`, a `CryptoKey`, a private JWK, or a PEM (PKCS#8) string. */
function toPrivateKeyObject(key: unknown): KeyObject {
  if (key instanceof KeyObject) return key;
  const cryptoKeyClass = (globalThis as { CryptoKey?: abstract new () => object }).CryptoKey;
  if (cryptoKeyClass !== undefined && key instanceof cryptoKeyClass) return KeyObject.from(key as webcrypto.CryptoKey);
  if (typeof key === 'string') return createPrivateKey(key);
  return createPrivateKey({ key: key as JsonWebKey, format: 'jwk' });
}

/** Whether `value` can be a DPoP `alg`. */
export function isDpopAlgorithm(value: unknown): boolean {
  return typeof value === 'string' && ASYMMETRIC.has(value);
}
