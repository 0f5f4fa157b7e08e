import { FetchError, KeySetUnavailableError, NoMatchingKeyError } from '../errors.js';
import type { JwksCacheEvents } from '../observability/jwks-cache-events.js';
import type { CacheStore } from '../store/cache-store.js';
import { onceForFleet } from '../store/fleet-single-flight.js';
import { BackgroundRetry } from './background-retry.js';
import type { IssuerSettings } from './issuer-settings.js';
import { freshnessFor } from '../internal/max-age.js';
import { SingleFlight } from '../internal/single-flight.js';
import type { KeySet, UsableKey } from './key-set.js';
import { fetchKeySet } from './key-set-fetch.js';
import { refreshAheadStart, usabilityOf, withinRevalidateWindow, withinStaleWindow, type Usability } from './key-set-windows.js';
import { selectKeys, type KeyQuery } from './key-selection.js';
import type { IssuerHealth, IssuerKeyStats, LoadedKeySet, SeedOutcome } from './key-set-state-types.js';
import type { ExportedKeySet } from './stored-key-set.js';
import { exportedKeySetOf, isExportedKeySet, KeySetStore } from './key-set-store.js';
import { clock } from '../internal/clock.js';

export type { StoredKeySet } from './stored-key-set.js';

export type { IssuerHealth, IssuerKeyStats, KeySetState, LoadedKeySet, SeedOutcome } from './key-set-state-types.js';

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
  /** The one load under way (single-flight: every caller during a load shares it). */
  private readonly loads = new SingleFlight<'keys', LoadedKeySet>();
  /** Epoch ms of the last network fetch attempt; the unknown-kid cooldown counts from it. */
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  /** Background retries while the issuer fails (stale-if-error). */
  private readonly retries: BackgroundRetry;
  private readonly counters = { hits: 0, misses: 0, fetches: 0, fetchErrors: 0, staleServes: 0, revalidatingServes: 0, cooldownRejections: 0 };
  /** The set's shared-store entry. */
  private readonly stored: KeySetStore;
  /** The latest seed being validated: a load waits for it rather than fetching beside it. */
  private seeding: Promise<unknown> | undefined;

  constructor(
    private readonly settings: IssuerSettings,
    private readonly dependencies: IssuerKeyStateDependencies,
  ) {
    this.stored = new KeySetStore(dependencies.store, settings, dependencies.storeKey);
    this.retries = new BackgroundRetry(settings.jwks.retryBackoff, () => this.load(true).catch(() => undefined));
  }

  /**
   * A key-set lookup that needs no wait: the set when it is fresh (starting a refresh-ahead near
   * its end), past freshness by less than `timeout` while a refresh runs (stale-while-revalidate),
   * or stale while the issuer fails and within `staleIfError`. Counted in {@link stats}; serving a
   * stale set emits `jwks.stale_served`.
   */
  usableNow(): LoadedKeySet | undefined {
    const current = this.current;
    if (current === undefined) return undefined;
    const now = clock.now();
    const usable = this.usabilityOf(current, now);
    if (usable === 'fresh') {
      this.counters.hits++;
      this.maybeRefreshAhead(current, now);
      return current;
    }
    if (usable === 'stale') return this.serveStale(current, now);
    if (usable === 'revalidating') return this.serveWhileRevalidating(current);
    return undefined;
  }

  /**
   * Whether the key with this RFC 7638 thumbprint may verify now (it is in a set {@link usableNow}
   * would serve). A query only: it counts nothing, emits nothing and starts nothing — the
   * verified-token cache asks it on every hit; {@link servedFromCache} is the matching effect.
   */
  trusts(thumbprint: string): boolean {
    const current = this.current;
    return current !== undefined && this.usabilityOf(current, clock.now()) !== undefined && current.thumbprints.has(thumbprint);
  }

  /** The keys of the set {@link usableNow} would serve, or none; a query only (see {@link trusts}). */
  heldKeys(): readonly UsableKey[] {
    const current = this.current;
    return current !== undefined && this.usabilityOf(current, clock.now()) !== undefined ? current.keys : [];
  }

  /**
   * The effects a request served without a key-set lookup (a verified-token cache hit) has on the
   * set, as {@link usableNow} has them but for the lookup count: the refresh-ahead near the end of
   * freshness, the one revalidation past it (counted in `revalidatingServes`), or a stale serve
   * while the issuer fails (counted in `staleServes`, `jwks.stale_served` emitted), so that such
   * traffic keeps the keys current and outages stay visible.
   */
  servedFromCache(): void {
    const current = this.current;
    if (current === undefined) return;
    const now = clock.now();
    const usable = this.usabilityOf(current, now);
    if (usable === 'fresh') this.maybeRefreshAhead(current, now);
    else if (usable === 'stale') this.serveStale(current, now);
    else if (usable === 'revalidating') this.serveWhileRevalidating(current);
  }

  /** The key set, loading it when needed. Throws {@link KeySetUnavailableError} when there is none. */
  async keySet(): Promise<LoadedKeySet> {
    const usable = this.usableNow();
    if (usable !== undefined) return usable;
    this.counters.misses++;
    // While retrying in the background, requests never wait on a failing issuer.
    if (this.retries.retrying) throw this.unavailable();
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
    return candidates.length > 0 ? candidates : this.keysForUnknown(query);
  }

  /**
   * {@link keysFor} for a caller whose lookup ({@link usableNow}) has just found no key for
   * `query`: the refetch (or cooldown) part alone, so the lookup is not counted twice.
   */
  keysForUnknown(query: KeyQuery): Promise<UsableKey[]> {
    return this.refetchForUnknownKey(query);
  }

  /** A forced fetch (single-flight, ignores the cooldown). Throws the `FetchError` on failure. */
  refresh(): Promise<LoadedKeySet> {
    return this.load(true);
  }

  /** The start-up load: store first, then the issuer. Throws the `FetchError` on failure. */
  warmUp(retryOnFailure: boolean): Promise<LoadedKeySet> {
    const current = this.current;
    // Seeded fresh before the module started: nothing to warm.
    if (current !== undefined && clock.now() < current.freshUntil) return Promise.resolve(current);
    return this.load(false, retryOnFailure);
  }

  /**
   * Installs an exported set (see `JwksProvider.seedKeySet`) after the checks a shared-store entry
   * gets (`acceptStoredKeySet`). Throws a `TypeError` when `exported` has not the shape
   * `{ jwks: { keys }, fetchedAt, freshUntil }` (finite epoch-ms numbers).
   */
  seed(exported: unknown): Promise<SeedOutcome> {
    if (!isExportedKeySet(exported)) {
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
    return exportedKeySetOf(this.current);
  }

  /** Fresh keys, stale keys still within `staleIfError`, or none usable. Never loads anything. */
  health(): IssuerHealth {
    const current = this.current;
    const now = clock.now();
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
      state: current === undefined ? 'empty' : clock.now() < current.freshUntil ? 'fresh' : 'stale',
      freshUntil: current?.freshUntil,
      lastFetchAt: Number.isFinite(this.lastAttemptAt) ? this.lastAttemptAt : undefined,
    };
  }

  /** Stops background retries; later failures schedule none. */
  close(): void {
    this.retries.close();
  }

  private async refetchForUnknownKey(query: KeyQuery): Promise<UsableKey[]> {
    const { issuer } = this.settings;
    // A load already under way (e.g. started by the first token signed with a rotated key) serves
    // every request that arrives meanwhile: single-flight comes before the cooldown.
    const running = this.loads.current('keys');
    if (running !== undefined) {
      const joined = await running.catch(() => undefined);
      const candidates = joined === undefined ? [] : selectKeys(joined.keys, query);
      if (candidates.length > 0) return candidates;
    }
    // From here to `load` nothing awaits: the first call of a burst starts the refetch and marks
    // the attempt, so every later call of the burst sees it (in flight) rather than the cooldown.
    const started = this.loads.current('keys');
    if (started !== undefined) return this.awaitRefetch(started, query);
    if (clock.now() - this.lastAttemptAt < this.settings.jwks.cooldown) {
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
    const windowStart = refreshAheadStart(current, this.settings.jwks.refreshAhead);
    if (windowStart === undefined || now < windowStart) return;
    // One attempt per window: a failed refresh-ahead is not retried on every request.
    if (this.loads.current('keys') !== undefined || this.lastAttemptAt >= windowStart) return;
    this.load(false).catch(() => undefined);
  }

  /** Single-flight: every caller during a load shares it. */
  private load(force: boolean, retryOnFailure = true): Promise<LoadedKeySet> {
    return this.loads.run('keys', () => this.runLoad(force, retryOnFailure));
  }

  private async runLoad(force: boolean, retryOnFailure: boolean): Promise<LoadedKeySet> {
    if (!force) {
      if (this.seeding !== undefined) {
        await this.seeding.catch(() => undefined);
        // A seed that turned out fresh costs no request.
        const seeded = this.current;
        if (seeded !== undefined && clock.now() < seeded.freshUntil) return seeded;
      }
      const stored = await this.readStore();
      if (stored !== undefined) return stored;
      return this.fetchOnceForFleet(retryOnFailure);
    }
    return this.fetchFromIssuer(retryOnFailure);
  }

  /** One fetch for the instances sharing the store (`onceForFleet`); alone without Redis, or while it fails. */
  private fetchOnceForFleet(retryOnFailure: boolean): Promise<LoadedKeySet> {
    return onceForFleet(this.dependencies.store, {
      key: this.stored.key,
      shared: this.stored.shared,
      confidential: this.stored.confidential,
      // Discovery and the JWKS request, each bounded by `timeout`.
      lockTtl: 2 * this.settings.jwks.timeout,
      adopt: (skipL1) => this.readStore(skipL1),
      work: () => this.fetchFromIssuer(retryOnFailure),
      awaited: () => {
        const known = this.current?.fetchedAt ?? Number.NEGATIVE_INFINITY;
        return (entry) => KeySetStore.isNewerFresh(entry, known);
      },
    });
  }

  private async fetchFromIssuer(retryOnFailure: boolean): Promise<LoadedKeySet> {
    const started = clock.now();
    this.lastAttemptAt = started;
    this.counters.fetches++;
    try {
      const uri = await this.dependencies.jwksUri();
      const { keySet, maxAge } = await fetchKeySet(uri, this.settings);
      const now = clock.now();
      const loaded = this.install(keySet, now, now + this.freshnessOf(maxAge), maxAge);
      this.retries.stop();
      await this.stored.write(loaded);
      this.emitFetched(loaded, 'network', started);
      return loaded;
    } catch (error) {
      const failure = error instanceof FetchError ? error : new FetchError(`Fetching the keys of ${this.settings.issuer} failed`, this.settings.jwksUri ?? this.settings.issuer, { cause: error });
      this.onFetchFailed(failure, retryOnFailure);
      throw failure;
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
    if (retryOnFailure && (current === undefined || clock.now() >= current.freshUntil)) this.retries.schedule();
  }

  private staleOrThrow(error: unknown): LoadedKeySet {
    const current = this.current;
    const now = clock.now();
    if (current !== undefined && now < current.freshUntil) return current;
    if (current !== undefined && this.withinStaleWindow(current, now)) return this.serveStale(current, now);
    throw this.unavailable(error);
  }

  private usabilityOf(current: LoadedKeySet, now: number): Usability {
    return usabilityOf(current, now, this.settings.jwks, this.retries.retrying);
  }

  private withinStaleWindow(current: LoadedKeySet, now: number): boolean {
    return withinStaleWindow(current, now, this.settings.jwks);
  }

  private withinRevalidateWindow(current: LoadedKeySet, now: number): boolean {
    return withinRevalidateWindow(current, now, this.settings.jwks);
  }

  /** Serves the previous set past its freshness and makes sure one refresh is under way. */
  private serveWhileRevalidating(current: LoadedKeySet): LoadedKeySet {
    if (this.loads.current('keys') === undefined) this.load(false).catch(() => undefined);
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
    const started = clock.now();
    const accepted = await this.stored.read(skipL1, this.current?.fetchedAt, started);
    if (accepted === undefined) return undefined;
    const loaded = this.install(accepted.keySet, accepted.fetchedAt, accepted.freshUntil, accepted.maxAge);
    if (clock.now() >= accepted.freshUntil) return undefined;
    this.emitFetched(loaded, 'store', started);
    return loaded;
  }

  /** A seed goes through the very checks of a stored entry; symmetric keys never come from one. */
  private async installSeed(exported: ExportedKeySet): Promise<SeedOutcome> {
    const started = clock.now();
    const accepted = await this.stored.acceptSeed(exported, started);
    if (accepted === undefined) return 'refused';
    if (this.current !== undefined && accepted.fetchedAt <= this.current.fetchedAt) return 'ignored';
    const loaded = this.install(accepted.keySet, accepted.fetchedAt, accepted.freshUntil, accepted.maxAge);
    if (clock.now() >= accepted.freshUntil) return 'stale';
    this.emitFetched(loaded, 'seed', started);
    return 'fresh';
  }

  private emitFetched(loaded: LoadedKeySet, source: 'network' | 'store' | 'seed', started: number): void {
    this.dependencies.events.emit('jwks.fetched', {
      issuer: this.settings.issuer,
      keys: loaded.keys.length,
      skipped: loaded.skipped,
      source,
      durationMs: clock.now() - started,
    });
  }
}

