import type { UsableKey } from './key-set.js';

/** The key set an issuer is currently trusted with. */
export interface LoadedKeySet {
  readonly keys: readonly UsableKey[];
  /** Thumbprints of `keys`, for O(1) "is this key still trusted" checks. */
  readonly thumbprints: ReadonlySet<string>;
  readonly skipped: number;
  /** Epoch ms of the fetch that produced it. */
  readonly fetchedAt: number;
  /** Epoch ms until which it is fresh. */
  readonly freshUntil: number;
  /** The response's `Cache-Control: max-age` in ms, unclamped; `undefined` when it had none. */
  readonly maxAge?: number;
}

/**
 * What seeding a key set did: `fresh` — installed and used without a request; `stale` — installed
 * past its (capped) freshness, kept only as the last good set, so the next verification fetches;
 * `ignored` — the set in use is as new or newer; `refused` — a `fetchedAt` in the future, or no
 * usable public signing key (nothing of it is used).
 */
export type SeedOutcome = 'fresh' | 'stale' | 'ignored' | 'refused';

/** Where one issuer stands: no keys, keys within freshness, or keys past freshness. */
export type KeySetState = 'empty' | 'fresh' | 'stale';

/** For a health check: fresh keys, stale keys still usable if the issuer fails, or none usable. */
export type IssuerHealth = 'fresh' | 'stale-serving' | 'no-keys';

/** Counters and state of one issuer, as `JwksProvider.stats()` reports them. */
export interface IssuerKeyStats {
  /** Key-set lookups served from memory (a verified-token cache hit looks no key set up, and is not one). */
  hits: number;
  /** Key-set lookups that had to load (store or network). */
  misses: number;
  /** Network fetch attempts (JWKS, discovery included). */
  fetches: number;
  fetchErrors: number;
  /** Requests served with a key set past its freshness while the issuer failed (verified-token cache hits included). */
  staleServes: number;
  /**
   * Requests served with a key set past its freshness while its refresh was in flight
   * (stale-while-revalidate: at most `timeout` ms past freshness).
   */
  revalidatingServes: number;
  /** Unknown kids rejected by the cooldown, without a fetch. */
  cooldownRejections: number;
  /** Usable keys in the current set. */
  keys: number;
  /** Members of the current set that were skipped as unusable. */
  skippedKeys: number;
  state: KeySetState;
  /** Epoch ms, or `undefined` without keys. */
  freshUntil: number | undefined;
  /** Epoch ms of the last network fetch attempt, or `undefined`. */
  lastFetchAt: number | undefined;
}
