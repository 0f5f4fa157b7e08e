import type { LocalIssuer } from '@jwks-cache/testing';
import type { BenchAlgorithm } from './mode.js';

/** The audience every benchmark token carries and every verifier checks. */
export const AUDIENCE = 'bench-api';

/**
 * Tokens signed together. Signing waits on the crypto thread pool; one token at a time, that
 * wait is most of the cost of minting thousands, and the pool's threads sit idle.
 */
export const MINT_BATCH = 100;

/** `count` results of `mintOne(i)`, in order, `MINT_BATCH` at a time. */
async function inBatches<T>(count: number, mintOne: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let first = 0; first < count; first += MINT_BATCH) {
    const size = Math.min(MINT_BATCH, count - first);
    results.push(...(await Promise.all(Array.from({ length: size }, (_, offset) => mintOne(first + offset)))));
  }
  return results;
}

/** Mints `count` distinct valid tokens (distinct `sub` and `jti`) signed with `alg`. */
export async function mintDistinct(
  idp: LocalIssuer,
  alg: BenchAlgorithm,
  count: number,
  label = 'user',
): Promise<string[]> {
  return inBatches(count, (i) =>
    idp.mint({ aud: AUDIENCE, sub: `${label}-${i}`, jti: `${label}-${alg}-${i}` }, { alg }),
  );
}

/** Mints `count` tokens signed by the issuer's current key but naming kids the issuer never published. */
export async function mintUnknownKid(idp: LocalIssuer, alg: BenchAlgorithm, count: number): Promise<string[]> {
  return inBatches(count, (i) => idp.mint({ aud: AUDIENCE, sub: `flood-${i}` }, { alg, kid: `unknown-kid-${i}` }));
}

/**
 * The same tokens as flat strings. A token fresh from minting is a V8 cons string (built by
 * concatenation); the first contender that reads it pays for flattening it, in place, and every
 * later one gets it flat. Flattening them up front gives every contender the same strings.
 */
export function flattened(tokens: readonly string[]): string[] {
  return JSON.parse(JSON.stringify(tokens)) as string[];
}
