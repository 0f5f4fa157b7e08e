import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { VerifiedToken } from './verified-token.js';
import { clock } from '../internal/clock.js';

/** Tells whether a key (by thumbprint) is still in its issuer's current, usable key set. */
export type KeyTrustCheck = (issuer: string, thumbprint: string) => boolean;

/** What is needed to remember one verified token. */
export interface VerifiedTokenEntry {
  result: VerifiedToken;
  /** RFC 7638 thumbprint of the key that verified it. */
  thumbprint: string;
  /** Clock tolerance it was verified with, in ms. */
  clockTolerance: number;
  /** `maxTokenAge` it was verified with, in ms, if any. */
  maxTokenAge: number | undefined;
}

interface CachedEntry {
  result: VerifiedToken;
  thumbprint: string;
  /** Epoch seconds from which the token is no longer valid (`exp`, or `iat + maxTokenAge` sooner). */
  notAfter: number;
  /** `nbf`, epoch seconds. */
  nbf: number | undefined;
  /** Clock tolerance, in seconds. */
  tolerance: number;
}

/**
 * Verified tokens by SHA-256 of the token and a verification profile, so a token seen again
 * skips the signature check (Envoy's idea). Bounded LRU; an entry is used only while `exp` (and
 * `maxTokenAge`) hold with the clock tolerance, `nbf` has passed, and the key that verified it is
 * still in its issuer's key set. Tokens without `exp` are never cached.
 */
export class VerifiedTokenCache {
  private readonly entries: LRUCache<string, CachedEntry> | undefined;
  private hits = 0;
  private misses = 0;

  /** @param maxSize bound on the entries (`verify.verifiedTokenCacheSize`); `0` disables the cache. */
  constructor(maxSize: number) {
    this.entries = maxSize > 0 ? new LRUCache({ max: maxSize }) : undefined;
  }

  /** Whether the cache is on (size > 0). */
  get enabled(): boolean {
    return this.entries !== undefined;
  }

  /**
   * The cache key of a token under a profile (`''` for the issuer's own settings, else an id of
   * the per-call overrides). One-shot SHA-256: the raw token is never kept. The digest's 32 bytes
   * are taken as a `'binary'` (latin1) string: the key never leaves the process, and that is the
   * cheapest string Node makes of them (no base64 pass, 32 characters instead of 43) on the
   * guard's hot path.
   */
  keyOf(token: string, profile: string): string {
    const digest = hash('sha256', token, 'binary');
    return profile === '' ? digest : `${digest}|${profile}`;
  }

  /**
   * The cached verification result, or `undefined` (a miss) when absent or no longer valid.
   * @param countMiss `false` for a probe that is followed by a full verification (which counts it).
   */
  lookup(key: string, isTrusted: KeyTrustCheck, countMiss = true): VerifiedToken | undefined {
    const entry = this.entries?.get(key);
    if (entry === undefined || !this.isValid(key, entry, isTrusted)) {
      if (countMiss) this.misses++;
      return undefined;
    }
    this.hits++;
    return entry.result;
  }

  /** Remembers a verified token (not when it has no `exp`, or when the cache is disabled). */
  remember(key: string, entry: VerifiedTokenEntry): void {
    const { exp, nbf, iat } = entry.result.payload;
    if (this.entries === undefined || typeof exp !== 'number') return;
    const ageLimit =
      entry.maxTokenAge !== undefined && typeof iat === 'number'
        ? iat + entry.maxTokenAge / 1000
        : Number.POSITIVE_INFINITY;
    this.entries.set(key, {
      result: entry.result,
      thumbprint: entry.thumbprint,
      notAfter: Math.min(exp, ageLimit),
      nbf: typeof nbf === 'number' ? nbf : undefined,
      tolerance: entry.clockTolerance / 1000,
    });
  }

  /** Entries, hits and misses. */
  stats(): { size: number; hits: number; misses: number } {
    return { size: this.entries?.size ?? 0, hits: this.hits, misses: this.misses };
  }

  private isValid(key: string, entry: CachedEntry, isTrusted: KeyTrustCheck): boolean {
    const now = clock.now() / 1000;
    if (now >= entry.notAfter + entry.tolerance || !isTrusted(entry.result.issuer, entry.thumbprint)) {
      this.entries?.delete(key);
      return false;
    }
    // Not yet valid: a miss, so the full verification reports it; the entry may serve later.
    return entry.nbf === undefined || entry.nbf <= now + entry.tolerance;
  }
}
