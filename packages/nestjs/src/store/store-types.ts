/** Counters of the store layer, since start. */
export interface StoreStats {
  /** Reads answered by the in-process L1. */
  l1Hits: number;
  /** Reads answered by the shared store (L2), after validation. */
  l2Hits: number;
  /** Reads that found nothing usable (including faults and rejected entries). */
  misses: number;
  /** Shared-store operations that failed, or were skipped because the store is unreachable. */
  errors: number;
  /** Shared-store operations abandoned after `storeOptions.timeout`. */
  timeouts: number;
  /** Entries read from the shared store that failed validation (shape, kind, HMAC, decryption). */
  rejectedEntries: number;
}

/**
 * How an entry may travel through the shared store. Kind-wide rules come on top: a `discovery`
 * entry names URLs (where the keys and the client secret go), so it is shared only with an
 * `integrityKey`.
 */
export interface StoreSharingOptions {
  /**
   * The entry holds secret material (e.g. the `oct` keys of an HS* issuer): in the shared store
   * only encrypted with `encryptionKey`, and read back only when it was; without an
   * `encryptionKey` it stays in process.
   * @default false
   */
  confidential?: boolean;
}

/** Options of {@link CacheStore.get}. */
export interface StoreGetOptions<T> extends StoreSharingOptions {
  /** Read the shared store even when the L1 has the entry (e.g. while polling for a peer's write). */
  skipL1?: boolean;
  /** Extra check of the value read from the shared store; a `false` counts as a rejected entry. */
  validate?: (value: unknown) => value is T;
}

/** Options of {@link CacheStore.waitFor}. */
export interface WaitForOptions<T> extends StoreSharingOptions {
  /** How long to poll the shared store, in ms. @default 2_000 */
  timeout?: number;
  /** Pause between two reads, in ms. @default 50 */
  interval?: number;
  /** Only a value passing this check ends the wait (e.g. "still fresh"). @default any value */
  until?: (value: T) => boolean;
  /**
   * Stop early when nobody holds the lock of `key` any more (the peer finished or failed without
   * writing), instead of polling until `timeout`. Only with a Redis tier.
   * @default true
   */
  stopWhenUnlocked?: boolean;
}

/** What {@link CacheStore.withLock} did: ran `fn` under the lock, or found the lock taken. */
export type LockOutcome<R> = { acquired: true; result: R } | { acquired: false };

/**
 * What {@link CacheStore.claimOnce} did: this caller is the first (`claimed`), someone claimed
 * the key before (`taken`), or the fleet could not be asked (`unavailable`: no Redis tier, or a
 * fault — already counted, logged and emitted as `store.error`).
 */
export type ClaimOutcome = 'claimed' | 'taken' | 'unavailable';
