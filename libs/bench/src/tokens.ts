import type { LocalIssuer } from '@jwks-cache/testing';
import type { BenchAlgorithm } from './mode.js';

/** The audience every benchmark token carries and every verifier checks. */
export const AUDIENCE = 'bench-api';

/** Mints `count` distinct valid tokens (distinct `sub` and `jti`) signed with `alg`. */
export async function mintDistinct(idp: LocalIssuer, alg: BenchAlgorithm, count: number, label = 'user'): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) tokens.push(await idp.mint({ aud: AUDIENCE, sub: `${label}-${i}`, jti: `${label}-${alg}-${i}` }, { alg }));
  return tokens;
}

/** Mints `count` tokens signed by the issuer's current key but naming kids the issuer never published. */
export async function mintUnknownKid(idp: LocalIssuer, alg: BenchAlgorithm, count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) tokens.push(await idp.mint({ aud: AUDIENCE, sub: `flood-${i}` }, { alg, kid: `unknown-kid-${i}` }));
  return tokens;
}
