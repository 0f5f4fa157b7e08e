import type { JWK } from 'jose';
import type { IssuerSettings } from './issuer-settings.js';
import { freshnessFor } from '../internal/max-age.js';
import { MAX_KEYS_PER_SET, parseKeySet, type KeySet } from './key-set.js';

/**
 * A key set as it leaves the process: in a shared store (`IssuerKeyState`), or as
 * `JwksProvider.exportKeySet()` hands it to a serverless function. Plain JSON, public keys only.
 */
export interface ExportedKeySet {
  jwks: { keys: JWK[] };
  /** Epoch ms of the fetch that produced it. */
  fetchedAt: number;
  /** Epoch ms until which the exporting process held it fresh (capped again on the way back in). */
  freshUntil: number;
  /**
   * The response's `Cache-Control: max-age` in ms (absent: it had none), so a reader grants the
   * freshness its own settings give for it: the stored `freshUntil` alone is never trusted.
   */
  maxAge?: number;
}

/** What is written to (and read back from) the `CacheStore`. */
export interface StoredKeySet extends ExportedKeySet {
  skipped: number;
}

/** A stored or exported set that passed {@link acceptStoredKeySet}, ready to install. */
export interface AcceptedKeySet {
  keySet: KeySet;
  fetchedAt: number;
  /** Capped by this process's settings; may already be past (then only a last good set). */
  freshUntil: number;
  maxAge: number | undefined;
}

/** Why a stored or exported set was not accepted. */
export type StoredKeySetRefusal = 'shape' | 'future' | 'keys';

/**
 * The one gate for a key set that comes from outside the issuer's response (a shared store, a
 * seed): the shape, a `fetchedAt` not after `now`, the same parser as a fetched set (public
 * signing keys only: members with private parts, encryption keys and — unless `allowSymmetric`
 * — `oct` keys are dropped), and a freshness never beyond what this process would have granted
 * the same response (`ttl`, or the clamped `max-age`) from `fetchedAt`, whatever the entry's own
 * `freshUntil` says: a planted or replayed entry cannot outlive this process's own settings.
 */
export async function acceptStoredKeySet(
  entry: unknown,
  settings: Pick<IssuerSettings, 'allowSymmetric' | 'jwks'>,
  now: number,
): Promise<AcceptedKeySet | StoredKeySetRefusal> {
  if (!hasStoredShape(entry)) return 'shape';
  if (entry.fetchedAt > now) return 'future';
  const keySet = await parseKeySet(entry.jwks, {
    allowSymmetric: settings.allowSymmetric,
    maxKeys: MAX_KEYS_PER_SET,
  }).catch(() => undefined);
  if (keySet === undefined) return 'keys';
  const maxAge = entry.maxAge;
  const freshUntil = Math.min(entry.freshUntil, entry.fetchedAt + freshnessFor(maxAge, settings.jwks));
  const skipped =
    typeof entry.skipped === 'number' && Number.isInteger(entry.skipped) && entry.skipped >= 0 ? entry.skipped : 0;
  return {
    keySet: { keys: keySet.keys, skipped: skipped + keySet.skipped },
    fetchedAt: entry.fetchedAt,
    freshUntil,
    maxAge,
  };
}

/** `{ jwks: object, fetchedAt, freshUntil }` with finite epoch-ms numbers (`skipped`, `maxAge` ≥ 0 optional). */
export function hasStoredShape(entry: unknown): entry is ExportedKeySet & { skipped?: unknown } {
  if (entry === null || typeof entry !== 'object') return false;
  const candidate = entry as Partial<StoredKeySet>;
  return (
    Number.isFinite(candidate.fetchedAt) &&
    Number.isFinite(candidate.freshUntil) &&
    (candidate.maxAge === undefined || (Number.isFinite(candidate.maxAge) && candidate.maxAge >= 0)) &&
    candidate.jwks !== null &&
    typeof candidate.jwks === 'object'
  );
}
