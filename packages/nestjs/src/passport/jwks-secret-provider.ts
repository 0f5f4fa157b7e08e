import { KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, type ProtectedHeaderParameters } from 'jose';
import { AlgorithmNotAllowedError, HeaderNotAllowedError, TokenMalformedError, UnknownIssuerError } from '../errors.js';
import type { JwksProvider } from '../jwks/jwks-provider.js';

/** passport-jwt's `secretOrKeyProvider`: `(request, rawJwtToken, done(error, secretOrKey))`. */
export type JwksSecretOrKeyProvider = (
  request: unknown,
  rawJwtToken: string,
  done: (error: Error | null, secretOrKey?: string | Buffer) => void,
) => void;

/** What `JwksProvider.getKey` hands back: a `CryptoKey`, or the secret bytes for HS*. */
type ProviderKey = Awaited<ReturnType<JwksProvider['getKey']>>;

/** jsonwebtoken takes a PEM for public keys and the raw bytes for HMAC secrets. */
function toJsonwebtokenKey(key: ProviderKey | KeyObject): string | Buffer {
  if (key instanceof Uint8Array) return Buffer.from(key);
  const keyObject = key instanceof KeyObject ? key : KeyObject.from(key);
  if (keyObject.type === 'secret') return keyObject.export();
  if (keyObject.type !== 'public') throw new TypeError('jwksSecretProvider: the provider returned a private key');
  return keyObject.export({ type: 'spki', format: 'pem' }).toString();
}

function decodeUnverified(rawJwtToken: string): { header: ProtectedHeaderParameters; iss: unknown } {
  try {
    return { header: decodeProtectedHeader(rawJwtToken), iss: decodeJwt(rawJwtToken).iss };
  } catch (error) {
    throw new TokenMalformedError('The token could not be decoded', { cause: error });
  }
}

/** jsonwebtoken ignores `crit`; the checks `getKey` cannot make (it sees no header) are made here. */
async function keyFor(
  provider: JwksProvider,
  rawJwtToken: string,
  issuer: string | undefined,
): Promise<string | Buffer> {
  const { header, iss } = decodeUnverified(rawJwtToken);
  if (header.crit !== undefined) throw new HeaderNotAllowedError('The token has a "crit" header');
  if (typeof header.alg !== 'string') throw new AlgorithmNotAllowedError('The token has no algorithm');
  const tokenIssuer = issuer ?? iss;
  if (typeof tokenIssuer !== 'string') throw new UnknownIssuerError('The token names no issuer');
  // With the token, a kid-less header gets the key that verifies it, as `verify()` would.
  return toJsonwebtokenKey(await provider.getKey(tokenIssuer, { kid: header.kid, alg: header.alg }, rawJwtToken));
}

/**
 * A passport-jwt `secretOrKeyProvider` backed by {@link JwksProvider}: the drop-in replacement of
 * jwks-rsa's `passportJwtSecret({...})` in an existing passport-jwt strategy, a one-line change:
 *
 * ```ts
 * // before: secretOrKeyProvider: passportJwtSecret({ jwksUri, cache: true, rateLimit: true }),
 * secretOrKeyProvider: jwksSecretProvider(jwksProvider, 'https://idp.example.com/'),
 * ```
 *
 * It hands passport-jwt the issuer's key for the token's `kid` and `alg` (a PEM, or the bytes of
 * an HMAC secret the issuer opted into) from the cached key set: one JWKS fetch serves every
 * request, with the cooldown, stale-if-error and the `alg` allow-list of `getKey`. Without a
 * `kid`, the key is the one of the fitting keys (at most 5) whose signature verifies, as in
 * `JwksProvider.verify`.
 *
 * Trade-off: jsonwebtoken then does the verification, so the guarantees of `JwksProvider.verify`
 * stop at the key: no verified-token cache, jsonwebtoken's own claim checks (set `issuer`,
 * `audience` and `algorithms` in the strategy options), no EdDSA (jsonwebtoken lacks it), and
 * passport-jwt's own header handling. For all of them, use `JwksStrategy` (`AuthGuard('jwks')`).
 *
 * @param provider the module's `JwksProvider` (inject it into your strategy).
 * @param issuer the configured issuer whose keys to use. Default: the token's (unverified) `iss`,
 *   which must be a configured issuer — no request is made for any other.
 */
export function jwksSecretProvider(provider: JwksProvider, issuer?: string): JwksSecretOrKeyProvider {
  return (_request, rawJwtToken, done) => {
    keyFor(provider, rawJwtToken, issuer).then(
      (key) => done(null, key),
      (error: unknown) => done(error instanceof Error ? error : new Error('The key could not be obtained')),
    );
  };
}
