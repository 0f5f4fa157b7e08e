import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import type { DpopProofFlaw, DpopProofOptions } from './dpop-types.js';
import { unsignedToken } from './forge.js';
import { SUPPORTED_ALGORITHMS, type TestAlgorithm } from './types.js';

/** `iat` of `'old-iat'` / `'future-iat'` proofs is this far from now, in seconds: beyond any proof window. */
const FLAWED_IAT_OFFSET_SECONDS = 3600;
const DPOP_TYP = 'dpop+jwt';

/** base64url(SHA-256(accessToken)): the `ath` claim of a proof (RFC 9449 §4.2). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** The URL without query and fragment: the `htu` of a proof for it. */
function targetUri(url: string): string {
  if (typeof url !== 'string' || !URL.canParse(url))
    throw new TypeError(`DpopKey.proof: url must be an absolute URL (got ${JSON.stringify(url)})`);
  const target = new URL(url);
  target.search = '';
  target.hash = '';
  return target.href;
}

function withPathSuffix(url: string, suffix: string): string {
  const target = new URL(url);
  target.pathname = `${target.pathname.replace(/\/$/, '')}/${suffix}`;
  return target.href;
}

/**
 * A client's DPoP key pair (RFC 9449): it makes proofs, good and flawed, and its thumbprint binds
 * tokens to it (`issuer.mint(claims, { dpop: key })` sets `cnf.jkt`). Make one with
 * `issuer.dpopKey(alg?)` or {@link DpopKey.generate}.
 *
 * ```ts
 * const key = await idp.dpopKey();
 * const token = await idp.mint({ aud: 'orders-api' }, { dpop: key });
 * const proof = await key.proof({ method: 'GET', url: 'http://127.0.0.1:3000/orders', accessToken: token });
 * // Authorization: DPoP ${token}, DPoP: ${proof}
 * ```
 */
export class DpopKey {
  private lastJti: string | undefined;

  private constructor(
    /** The signing algorithm of its proofs. */
    readonly alg: TestAlgorithm,
    /** The private key (extractable). */
    readonly privateKey: CryptoKey,
    /** The public JWK put in every proof's `jwk` header. */
    readonly publicJwk: JWK,
    /** Its RFC 7638 SHA-256 thumbprint, base64url: the `cnf.jkt` of tokens bound to it. */
    readonly thumbprint: string,
  ) {}

  /**
   * Generates a key pair for `alg` (default `'ES256'`).
   * @throws TypeError for an algorithm that is not one of {@link SUPPORTED_ALGORITHMS}.
   */
  static async generate(alg: TestAlgorithm = 'ES256'): Promise<DpopKey> {
    if (!SUPPORTED_ALGORITHMS.includes(alg))
      throw new TypeError(`DpopKey: unsupported algorithm ${String(alg)} (one of ${SUPPORTED_ALGORITHMS.join(', ')})`);
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    return new DpopKey(alg, privateKey, publicJwk, await calculateJwkThumbprint(publicJwk, 'sha256'));
  }

  /** The confirmation claim of a token bound to this key: `{ jkt: thumbprint }` (RFC 9449 §6.1). */
  get cnf(): { jkt: string } {
    return { jkt: this.thumbprint };
  }

  /**
   * A valid proof for one request: header `{ typ: 'dpop+jwt', alg, jwk }`, claims `jti`, `htm`,
   * `htu`, `iat`, and `ath` / `nonce` when given; then `header`, `claims` and `omit` apply.
   */
  async proof(options: DpopProofOptions): Promise<string> {
    const { header, payload } = this.parts(options);
    return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(this.privateKey);
  }

  /**
   * A proof with one flaw (see {@link DpopProofFlaw}), for tests that a verifier refuses it. The
   * other options apply as for {@link proof}, before the flaw.
   * @throws Error for `'reused-jti'` before this key made any proof.
   */
  async badProof(flaw: DpopProofFlaw, options: DpopProofOptions): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    switch (flaw) {
      case 'wrong-typ':
        return this.proof({ ...options, header: { ...options.header, typ: 'JWT' } });
      case 'wrong-htm':
        return this.proof({ ...options, method: options.method.toUpperCase() === 'GET' ? 'POST' : 'GET' });
      case 'wrong-htu':
        return this.proof({ ...options, url: withPathSuffix(options.url, 'elsewhere') });
      case 'old-iat':
        return this.proof({ ...options, iat: now - FLAWED_IAT_OFFSET_SECONDS });
      case 'future-iat':
        return this.proof({ ...options, iat: now + FLAWED_IAT_OFFSET_SECONDS });
      case 'missing-jti':
        return this.proof({ ...options, omit: [...(options.omit ?? []), 'jti'] });
      case 'reused-jti':
        if (this.lastJti === undefined) throw new Error('badProof("reused-jti"): this key has made no proof yet');
        return this.proof({ ...options, jti: this.lastJti });
      case 'missing-ath':
        return this.proof({ ...options, omit: [...(options.omit ?? []), 'ath'] });
      case 'wrong-ath':
        return this.proof({
          ...options,
          claims: { ...options.claims, ath: accessTokenHash(`${options.accessToken ?? ''}.other`) },
        });
      case 'private-jwk':
        return this.proof({ ...options, header: { ...options.header, jwk: await exportJWK(this.privateKey) } });
      case 'other-key':
        return (await DpopKey.generate(this.alg)).proof(options);
      case 'bad-signature': {
        const { header, payload } = this.parts(options);
        const impostor = await DpopKey.generate(this.alg);
        return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(impostor.privateKey);
      }
      case 'symmetric-alg': {
        const { header, payload } = this.parts(options);
        const secret = new TextEncoder().encode(JSON.stringify(this.publicJwk));
        return new SignJWT(payload).setProtectedHeader({ ...header, alg: 'HS256' }).sign(secret);
      }
      case 'alg-none': {
        const { header, payload } = this.parts(options);
        return unsignedToken({ ...header, alg: 'none' }, payload);
      }
    }
  }

  /** The header and claims of a proof; remembers its `jti` for `'reused-jti'`. */
  private parts(options: DpopProofOptions): { header: Record<string, unknown>; payload: Record<string, unknown> } {
    if (typeof options.method !== 'string' || !options.method)
      throw new TypeError('DpopKey.proof: method must be a non-empty string');
    const jti = options.jti ?? randomUUID();
    const payload: Record<string, unknown> = {
      jti,
      htm: options.method,
      htu: targetUri(options.url),
      iat: options.iat ?? Math.floor(Date.now() / 1000),
      ...(options.accessToken === undefined ? {} : { ath: accessTokenHash(options.accessToken) }),
      ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
      ...options.claims,
    };
    for (const name of options.omit ?? []) delete payload[name];
    this.lastJti = jti;
    return { header: { typ: DPOP_TYP, alg: this.alg, jwk: { ...this.publicJwk }, ...options.header }, payload };
  }
}
