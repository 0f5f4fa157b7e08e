/**
 * The reference libraries, set up the way their documentation recommends, so that every
 * contender verifies the same tokens with the same checks (issuer, audience, algorithms).
 */
import { createRemoteJWKSet, importJWK, jwtVerify, type JWK } from 'jose';
import jwksRsa from 'jwks-rsa';
import jsonwebtoken from 'jsonwebtoken';
import type { BenchAlgorithm } from './mode.js';

/** The issuer a verifier trusts, and what it checks. */
export interface VerifyTarget {
  issuer: string;
  jwksUri: string;
  audience: string;
  algorithms: BenchAlgorithm[];
}

/** Verifies one token; rejects when the token is not valid. */
export type VerifyFunction = (token: string) => Promise<unknown>;

/** Settings of jose's remote key set (its defaults when absent). */
export interface JoseRemoteSettings {
  /** ms; jose's default: 600 000. */
  cacheMaxAge?: number;
  /** ms; jose's default: 30 000. */
  cooldownDuration?: number;
}

/** jose `createRemoteJWKSet` + `jwtVerify`: a key set fetched and cached per process. */
export function joseRemoteVerifier(target: VerifyTarget, settings: JoseRemoteSettings = {}): VerifyFunction {
  const keySet = createRemoteJWKSet(new URL(target.jwksUri), settings);
  const options = { issuer: target.issuer, audience: target.audience, algorithms: target.algorithms };
  return (token) => jwtVerify(token, keySet, options);
}

/** The floor: jose `jwtVerify` with a key imported once, no key lookup at all. */
export async function floorVerifier(target: VerifyTarget, jwk: JWK, alg: BenchAlgorithm): Promise<VerifyFunction> {
  const key = await importJWK(jwk, alg);
  const options = { issuer: target.issuer, audience: target.audience, algorithms: [alg] };
  return (token) => jwtVerify(token, key, options);
}

/** Settings of jwks-rsa (its README's passport setup when absent). */
export type JwksRsaSettings = Omit<jwksRsa.Options, 'jwksUri' | 'fetcher'>;

/** The passport-jwt setup of jwks-rsa's README: cache on, rate limit on (5 JWKS requests a minute). */
export const JWKS_RSA_README_SETTINGS: JwksRsaSettings = { cache: true, rateLimit: true, jwksRequestsPerMinute: 5 };

/**
 * The `passportJwtSecret` path without passport's request plumbing: jwks-rsa's secret provider
 * (decode, `getSigningKey(kid)`), then `jsonwebtoken.verify`, as passport-jwt does.
 */
export function jwksRsaVerifier(
  target: VerifyTarget,
  settings: JwksRsaSettings = JWKS_RSA_README_SETTINGS,
): VerifyFunction {
  const secretProvider = jwksRsa.passportJwtSecret({ ...settings, jwksUri: target.jwksUri });
  const options: jsonwebtoken.VerifyOptions = {
    issuer: target.issuer,
    audience: target.audience,
    algorithms: target.algorithms as jsonwebtoken.Algorithm[],
  };
  return async (token) => {
    const secret = await new Promise<string | Buffer>((resolve, reject) => {
      secretProvider(null, token, (error, key) => {
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else if (!key) reject(new Error('jwks-rsa found no signing key for this token'));
        else resolve(key);
      });
    });
    return jsonwebtoken.verify(token, secret, options);
  };
}
