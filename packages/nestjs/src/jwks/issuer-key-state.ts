import { FetchError, InvalidResponseError, KeySetUnavailableError, NoMatchingKeyError } from '../errors.js';
import type { JwksCacheEvents } from '../health/jwks-cache-events.js';
import { CacheStore } from '../store/cache-store.js';
import type { IssuerSettings } from './issuer-settings.js';
import { fetchJson, freshnessFor } from './jwks-fetcher.js';
import { KeySetShapeError, MAX_KEYS_PER_SET, parseKeySet, type KeySet, type UsableKey } from './key-set.js';
import { selectKeys, type KeyQuery } from './key-selection.js';
import { acceptStoredKeySet, hasStoredShape, type ExportedKeySet, type StoredKeySet } from './stored-key-set.js';

export type { StoredKeySet } from './stored-key-set.js';

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
  /** Key-set lookups served from memory. */
  hits: number;
  /** Key-set lookups that had to load (store or network). */
  misses: number;
  /** Network fetch attempts (JWKS, discovery included). */
  fetches: number;
  fetchErrors: number;
  /** Lookups served with a key set past its freshness while the issuer failed. */
  staleServes: number;
  /**
   * Lookups served with a key set past its freshness while its refresh was in flight
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

/** What the state machine needs from outside. */
export interface IssuerKeyStateDependencies {
  store: CacheStore;
  events: JwksCacheEvents;
  /** The JWKS URL: configured, or discovered (a `FetchError` when discovery fails). */
  jwksUri: () => Promise<string>;
  /** The shared-store key of the set. @default CacheStore.key('jwks', settings.issuer) */
  storeKey?: string;
}

/**
 * The keys of one issuer and the rules that keep them current: single-flight loads, store first on
 * a cold start, freshness from `max-age` or `ttl`, refresh-ahead, the unknown-kid cooldown,
 * stale-if-error with background retries. The hot path ({@link usableNow}) is synchronous.
 */
export class IssuerKeyState {
  private current: LoadedKeySet | undefined;
  private inflight: Promise<LoadedKeySet> | undefined;
  /** Epoch ms of the last network fetch attempt; the unknown-kid cooldown counts from it. */
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  /** Failed attempts in a row while retrying in the background; `0` when not retrying. */
  private retryAttempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly counters = { hits: 0, misses: 0, fetches: 0, fetchErrors: 0, staleServes: 0, revalidatingServes: 0, cooldownRejections: 0 };
  private readonly storeKey: string;
  /** HS* key sets hold secrets: shared only encrypted (`CacheStore` keeps them in process otherwise). */
  private readonly sharing: { confidential: boolean };
  /** The latest seed being validated: a load waits for it rather than fetching beside it. */
  private seeding: Promise<unknown> | undefined;

  constructor(
    private readonly settings: IssuerSettings,
    private readonly dependencies: IssuerKeyStateDependencies,
  ) {
    this.storeKey = dependencies.storeKey ?? CacheStore.key('jwks', settings.issuer);
    this.sharing = { confidential: settings.allowSymmetric };
  }

  /**
   * The key set when it can be used without waiting: fresh (starting a refresh-ahead near its
   * end), past freshness by less than `timeout` while a refresh runs (stale-while-revalidate), or
   * stale while the issuer fails and within `staleIfError`.
   */
  usableNow(): LoadedKeySet | undefined {
    const current = this.current;
    if (current === undefined) return undefined;
    const now = Date.now();
    if (now < current.freshUntil) {
      this.counters.hits++;
      this.maybeRefreshAhead(current, now);
      return current;
    }
    if (this.retryAttempt > 0 && this.withinStaleWindow(current, now)) return this.serveStale(current, now);
    if (this.withinRevalidateWindow(current, now)) return this.serveWhileRevalidating(current);
    return undefined;
  }

  /** The key set, loading it when needed. Throws {@link KeySetUnavailableError} when there is none. */
  async keySet(): Promise<LoadedKeySet> {
    const usable = this.usableNow();
    if (usable !== undefined) return usable;
    this.counters.misses++;
    // While retrying in the background, requests never wait on a failing issuer.
    if (this.retryAttempt > 0) throw this.unavailable();
    try {
      return await this.load(false);
    } catch (error) {
      return this.staleOrThrow(error);
    }
  }

  /**
   * The keys that may verify a token with this `kid` / `alg`. An unknown key triggers one refetch
   * per `cooldown`; within the cooldown it is rejected at once ({@link NoMatchingKeyError} with
   * `cooldown: true`). Nothing is remembered per kid.
   */
  async keysFor(query: KeyQuery): Promise<UsableKey[]> {
    const candidates = selectKeys((await this.keySet()).keys, query);
    return candidates.length > 0 ? candidates : this.refetchForUnknownKey(query);
  }

  /** A forced fetch (single-flight, ignores the cooldown). Throws the `FetchError` on failure. */
  refresh(): Promise<LoadedKeySet> {
    return this.load(true);
  }

  /** The start-up load: store first, then the issuer. Throws the `FetchError` on failure. */
  warmUp(retryOnFailure: boolean): Promise<LoadedKeySet> {
    const current = this.current;
    // Seeded fresh before the module started: nothing to warm.
    if (current !== undefined && Date.now() < current.freshUntil) return Promise.resolve(current);
    return this.load(false, retryOnFailure);
  }

  /**
   * Installs an exported set (see `JwksProvider.seedKeySet`) after the checks a shared-store entry
   * gets ({@link acceptStoredKeySet}). Throws a `TypeError` when `exported` has not the shape
   * `{ jwks: { keys }, fetchedAt, freshUntil }` (finite epoch-ms numbers).
   */
  seed(exported: unknown): Promise<SeedOutcome> {
    if (!hasStoredShape(exported)) {
      return Promise.reject(new TypeError(`A key-set seed for ${this.settings.issuer} must be { jwks: { keys: [...] }, fetchedAt, freshUntil } with epoch-ms numbers`));
    }
    const seeding = this.installSeed(exported);
    this.seeding = seeding;
    void seeding.finally(() => {
      if (this.seeding === seeding) this.seeding = undefined;
    });
    return seeding;
  }

  /**
   * The current set as plain JSON, for a caller to keep and seed back; `undefined` without one.
   * `oct` members (an HS* issuer's secrets) are never exported.
   */
  export(): ExportedKeySet | undefined {
    const current = this.current;
    const keys = current?.keys.filter((key) => key.kty !== 'oct').map((key) => ({ ...key.jwk })) ?? [];
    if (current === undefined || keys.length === 0) return undefined;
    return { jwks: { keys }, fetchedAt: current.fetchedAt, freshUntil: current.freshUntil };
  }

  /** Fresh keys, stale keys still within `staleIfError`, or none usable. Never loads anything. */
  health(): IssuerHealth {
    const current = this.current;
    const now = Date.now();
    if (current === undefined) return 'no-keys';
    if (now < current.freshUntil) return 'fresh';
    return this.withinStaleWindow(current, now) || this.withinRevalidateWindow(current, now) ? 'stale-serving' : 'no-keys';
  }

  /** The counters and the state of the current set. */
  stats(): IssuerKeyStats {
    const current = this.current;
    return {
      ...this.counters,
      keys: current?.keys.length ?? 0,
      skippedKeys: current?.skipped ?? 0,
      state: current === undefined ? 'empty' : Date.now() < current.freshUntil ? 'fresh' : 'stale',
      freshUntil: current?.freshUntil,
      lastFetchAt: Number.isFinite(this.lastAttemptAt) ? this.lastAttemptAt : undefined,
    };
  }

  /** Stops background retries; later failures schedule none. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private async refetchForUnknownKey(query: KeyQuery): Promise<UsableKey[]> {
    const { issuer } = this.settings;
    // A load already under way (e.g. started by the first token signed with a rotated key) serves
    // every request that arrives meanwhile: single-flight comes before the cooldown.
    const running = this.inflight;
    if (running !== undefined) {
      const joined = await running.catch(() => undefined);
      const candidates = joined === undefined ? [] : selectKeys(joined.keys, query);
      if (candidates.length > 0) return candidates;
    }
    // From here to `load` nothing awaits: the first call of a burst starts the refetch and marks
    // the attempt, so every later call of the burst sees it (in flight) rather than the cooldown.
    if (this.inflight !== undefined) return this.awaitRefetch(this.inflight, query);
    if (Date.now() - this.lastAttemptAt < this.settings.jwks.cooldown) {
      this.counters.cooldownRejections++;
      this.dependencies.events.emit('jwks.unknown_kid', { issuer, refetched: false });
      throw new NoMatchingKeyError(`No key of issuer ${issuer} matches the token (refetch in cooldown)`, { cooldown: true });
    }
    this.dependencies.events.emit('jwks.unknown_kid', { issuer, refetched: true });
    return this.awaitRefetch(this.load(true), query);
  }

  /** The keys for `query` once `refetch` settles; a failed refetch is a {@link NoMatchingKeyError} with the cause. */
  private async awaitRefetch(refetch: Promise<LoadedKeySet>, query: KeyQuery): Promise<UsableKey[]> {
    const { issuer } = this.settings;
    const refreshed = await refetch.catch((error: unknown) => {
      throw new NoMatchingKeyError(`No key of issuer ${issuer} matches the token (refetch failed)`, { cause: error });
    });
    const candidates = selectKeys(refreshed.keys, query);
    if (candidates.length === 0) throw new NoMatchingKeyError(`No key of issuer ${issuer} matches the token`);
    return candidates;
  }

  private maybeRefreshAhead(current: LoadedKeySet, now: number): void {
    const { refreshAhead } = this.settings.jwks;
    // Never more than the last half of the set's freshness: with a `ttl` or `max-age` below
    // `refreshAhead`, a window as long as the freshness would leave no room for "one attempt per
    // window", and no refresh-ahead would ever start.
    const windowStart = current.freshUntil - Math.min(refreshAhead, (current.freshUntil - current.fetchedAt) / 2);
    if (refreshAhead === 0 || now < windowStart) return;
    // One attempt per window: a failed refresh-ahead is not retried on every request.
    if (this.inflight !== undefined || this.lastAttemptAt >= windowStart) return;
    this.load(false).catch(() => undefined);
  }

  /** Single-flight: every caller during a load shares it. */
  private load(force: boolean, retryOnFailure = true): Promise<LoadedKeySet> {
    if (this.inflight !== undefined) return this.inflight;
    const running = this.runLoad(force, retryOnFailure).finally(() => {
      if (this.inflight === running) this.inflight = undefined;
    });
    this.inflight = running;
    return running;
  }

  private async runLoad(force: boolean, retryOnFailure: boolean): Promise<LoadedKeySet> {
    if (!force) {
      if (this.seeding !== undefined) {
        await this.seeding.catch(() => undefined);
        // A seed that turned out fresh costs no request.
        const seeded = this.current;
        if (seeded !== undefined && Date.now() < seeded.freshUntil) return seeded;
      }
      const stored = await this.readStore();
      if (stored !== undefined) return stored;
      return this.fetchOnceForFleet(retryOnFailure);
    }
    return this.fetchFromIssuer(retryOnFailure);
  }

  /**
   * Fleet-wide single-flight (`CacheStore.withLock`): one instance fetches while the others poll
   * the shared store for its result. Without Redis, or while it fails, every instance fetches.
   */
  private async fetchOnceForFleet(retryOnFailure: boolean): Promise<LoadedKeySet> {
    const { store } = this.dependencies;
    if (!store.hasFleetLock || !store.shares(this.storeKey, this.sharing)) return this.fetchFromIssuer(retryOnFailure);
    // Discovery and the JWKS request, each bounded by `timeout`.
    const lockTtl = 2 * this.settings.jwks.timeout;
    const outcome = await store.withLock(this.storeKey, async () => (await this.readStore(true)) ?? this.fetchFromIssuer(retryOnFailure), { ttl: lockTtl });
    if (outcome.acquired) return outcome.result;
    const known = this.current?.fetchedAt ?? Number.NEGATIVE_INFINITY;
    const published = await store.waitFor<StoredKeySet>(this.storeKey, {
      timeout: lockTtl,
      ...this.sharing,
      until: (entry) => hasStoredShape(entry) && entry.fetchedAt > known && Date.now() < entry.freshUntil,
    });
    return (published === undefined ? undefined : await this.readStore()) ?? this.fetchFromIssuer(retryOnFailure);
  }

  private async fetchFromIssuer(retryOnFailure: boolean): Promise<LoadedKeySet> {
    const started = Date.now();
    this.lastAttemptAt = started;
    this.counters.fetches++;
    try {
      const uri = await this.dependencies.jwksUri();
      const { body, maxAge } = await fetchJson(uri, this.settings.jwks);
      const keySet = await this.parse(body, uri);
      const now = Date.now();
      const loaded = this.install(keySet, now, now + this.freshnessOf(maxAge), maxAge);
      this.stopRetrying();
      await this.writeStore(loaded);
      this.emitFetched(loaded, 'network', started);
      return loaded;
    } catch (error) {
      const failure = error instanceof FetchError ? error : new FetchError(`Fetching the keys of ${this.settings.issuer} failed`, this.settings.jwksUri ?? this.settings.issuer, { cause: error });
      this.onFetchFailed(failure, retryOnFailure);
      throw failure;
    }
  }

  private async parse(body: unknown, uri: string): Promise<KeySet> {
    try {
      return await parseKeySet(body, { allowSymmetric: this.settings.allowSymmetric, maxKeys: MAX_KEYS_PER_SET });
    } catch (error) {
      const reason = error instanceof KeySetShapeError ? error.message : 'invalid key set';
      throw new InvalidResponseError(`Key set of ${this.settings.issuer} at ${uri} is invalid: ${reason}`, uri);
    }
  }

  /** `max-age` clamped to `maxAgeBounds` wins; a configured `ttl` is used as given. */
  private freshnessOf(maxAge: number | undefined): number {
    return freshnessFor(maxAge, this.settings.jwks);
  }

  /** A refresh replaces the set wholesale: a key the issuer removed is untrusted from now on. */
  private install(keySet: KeySet, fetchedAt: number, freshUntil: number, maxAge: number | undefined): LoadedKeySet {
    const loaded: LoadedKeySet = {
      keys: keySet.keys,
      thumbprints: new Set(keySet.keys.map((key) => key.thumbprint)),
      skipped: keySet.skipped,
      fetchedAt,
      freshUntil,
      ...(maxAge === undefined ? {} : { maxAge }),
    };
    this.current = loaded;
    return loaded;
  }

  private onFetchFailed(error: FetchError, retryOnFailure: boolean): void {
    this.counters.fetchErrors++;
    this.dependencies.events.emit('jwks.fetch_failed', { issuer: this.settings.issuer, error });
    const current = this.current;
    // Retry in the background only when requests need it: no set, or one past its freshness.
    if (retryOnFailure && (current === undefined || Date.now() >= current.freshUntil)) this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    const delay = backoffDelay(this.retryAttempt, this.settings.jwks.retryBackoff);
    this.retryAttempt++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.load(true).catch(() => undefined);
    }, delay);
    this.retryTimer.unref();
  }

  private stopRetrying(): void {
    this.retryAttempt = 0;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private staleOrThrow(error: unknown): LoadedKeySet {
    const current = this.current;
    const now = Date.now();
    if (current !== undefined && now < current.freshUntil) return current;
    if (current !== undefined && this.withinStaleWindow(current, now)) return this.serveStale(current, now);
    throw this.unavailable(error);
  }

  private withinStaleWindow(current: LoadedKeySet, now: number): boolean {
    return now < current.freshUntil + this.settings.jwks.staleIfError;
  }

  /**
   * Stale-while-revalidate lasts at most `timeout` past freshness: as long as one refresh started
   * at the end of freshness may take. Past it, a request waits for the refresh (or, once it
   * failed, stale-if-error takes over).
   */
  private withinRevalidateWindow(current: LoadedKeySet, now: number): boolean {
    return now < current.freshUntil + this.settings.jwks.timeout;
  }

  /** Serves the previous set past its freshness and makes sure one refresh is under way. */
  private serveWhileRevalidating(current: LoadedKeySet): LoadedKeySet {
    if (this.inflight === undefined) this.load(false).catch(() => undefined);
    this.counters.revalidatingServes++;
    return current;
  }

  private serveStale(current: LoadedKeySet, now: number): LoadedKeySet {
    this.counters.staleServes++;
    this.dependencies.events.emit('jwks.stale_served', { issuer: this.settings.issuer, staleForMs: now - current.freshUntil });
    return current;
  }

  private unavailable(cause?: unknown): KeySetUnavailableError {
    return new KeySetUnavailableError(`The keys of issuer ${this.settings.issuer} are unavailable`, { cause });
  }

  /**
   * A set another instance (or an earlier run) stored, validated again (public signing keys
   * only). A fresh one newer than ours is used; an expired one is kept only when we have nothing,
   * as the last good set should the issuer fail. Fresh means younger than the freshness this
   * process grants the response it came from (`ttl`, or its `max-age` clamped), whatever its
   * stored `freshUntil` says: a replayed or planted entry cannot outlive this process's settings.
   */
  private async readStore(skipL1 = false): Promise<LoadedKeySet | undefined> {
    const started = Date.now();
    const entry = await this.dependencies.store.get<StoredKeySet>(this.storeKey, { skipL1, ...this.sharing }).catch(() => undefined);
    if (!hasStoredShape(entry) || (this.current !== undefined && entry.fetchedAt <= this.current.fetchedAt)) return undefined;
    const accepted = await acceptStoredKeySet(entry, this.settings, started);
    if (typeof accepted === 'string') return undefined;
    const loaded = this.install(accepted.keySet, accepted.fetchedAt, accepted.freshUntil, accepted.maxAge);
    if (Date.now() >= accepted.freshUntil) return undefined;
    this.emitFetched(loaded, 'store', started);
    return loaded;
  }

  /** A seed goes through the very checks of a stored entry; symmetric keys never come from one. */
  private async installSeed(exported: ExportedKeySet): Promise<SeedOutcome> {
    const started = Date.now();
    const accepted = await acceptStoredKeySet(exported, { ...this.settings, allowSymmetric: false }, started);
    if (typeof accepted === 'string') return 'refused';
    if (this.current !== undefined && accepted.fetchedAt <= this.current.fetchedAt) return 'ignored';
    const loaded = this.install(accepted.keySet, accepted.fetchedAt, accepted.freshUntil, accepted.maxAge);
    if (Date.now() >= accepted.freshUntil) return 'stale';
    this.emitFetched(loaded, 'seed', started);
    return 'fresh';
  }

  private async writeStore(loaded: LoadedKeySet): Promise<void> {
    const entry: StoredKeySet = {
      jwks: { keys: loaded.keys.map((key) => ({ ...key.jwk })) },
      fetchedAt: loaded.fetchedAt,
      freshUntil: loaded.freshUntil,
      skipped: loaded.skipped,
      ...(loaded.maxAge === undefined ? {} : { maxAge: loaded.maxAge }),
    };
    const ttl = loaded.freshUntil - Date.now() + this.settings.jwks.staleIfError;
    // A store failure costs other instances a fetch; it never fails this one.
    await this.dependencies.store.set(this.storeKey, entry, ttl, this.sharing).catch(() => undefined);
  }

  private emitFetched(loaded: LoadedKeySet, source: 'network' | 'store' | 'seed', started: number): void {
    this.dependencies.events.emit('jwks.fetched', {
      issuer: this.settings.issuer,
      keys: loaded.keys.length,
      skipped: loaded.skipped,
      source,
      durationMs: Date.now() - started,
    });
  }
}

/** Exponential backoff with ±jitter: initial · 2^attempt, capped at max. */
function backoffDelay(attempt: number, backoff: { initial: number; max: number; jitter: number }): number {
  const base = Math.min(backoff.initial * 2 ** attempt, backoff.max);
  return Math.max(0, base * (1 + backoff.jitter * (2 * Math.random() - 1)));
}
