import { KeySetUnavailableError, NoMatchingKeyError } from '../errors.js';
import type { IssuerSettings } from './issuer-settings.js';
import type { UsableKey } from './key-set.js';
import { KeySetLoader, type KeySetLoaderDependencies } from './key-set-loader.js';
import {
  refreshAheadStart,
  usabilityOf,
  withinRevalidateWindow,
  withinStaleWindow,
  type Usability,
} from './key-set-windows.js';
import { selectKeys, type KeyQuery } from './key-selection.js';
import type { IssuerHealth, IssuerKeyStats, LoadedKeySet, SeedOutcome } from './key-set-state-types.js';
import { exportedKeySetOf } from './key-set-store.js';
import type { ExportedKeySet } from './stored-key-set.js';
import { clock } from '../internal/clock.js';

export type { StoredKeySet } from './stored-key-set.js';

export type { IssuerHealth, IssuerKeyStats, KeySetState, LoadedKeySet, SeedOutcome } from './key-set-state-types.js';

/** What the state machine needs from outside (its loader's dependencies). */
export type IssuerKeyStateDependencies = KeySetLoaderDependencies;

/**
 * The keys of one issuer and the rules that keep them current: single-flight loads, store first on
 * a cold start, freshness from `max-age` or `ttl`, refresh-ahead, the unknown-kid cooldown,
 * stale-if-error with background retries. The hot path ({@link usableNow}) is synchronous.
 */
export class IssuerKeyState {
  /** Loads the set and holds it (`current`). */
  private readonly loader: KeySetLoader;
  private readonly counters = { hits: 0, misses: 0, staleServes: 0, revalidatingServes: 0, cooldownRejections: 0 };

  constructor(
    private readonly settings: IssuerSettings,
    private readonly dependencies: IssuerKeyStateDependencies,
  ) {
    this.loader = new KeySetLoader(settings, dependencies);
  }

  private get current(): LoadedKeySet | undefined {
    return this.loader.current;
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
    return (
      current !== undefined &&
      this.usabilityOf(current, clock.now()) !== undefined &&
      current.thumbprints.has(thumbprint)
    );
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
    if (this.loader.retrying) throw this.unavailable();
    try {
      return await this.loader.load(false);
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
    return this.loader.load(true);
  }

  /** The start-up load: store first, then the issuer. Throws the `FetchError` on failure. */
  warmUp(retryOnFailure: boolean): Promise<LoadedKeySet> {
    const current = this.current;
    // Seeded fresh before the module started: nothing to warm.
    if (current !== undefined && clock.now() < current.freshUntil) return Promise.resolve(current);
    return this.loader.load(false, retryOnFailure);
  }

  /**
   * Installs an exported set (see `JwksProvider.seedKeySet`) after the checks a shared-store entry
   * gets (`acceptStoredKeySet`); loads started meanwhile wait for it. Throws a `TypeError` when
   * `exported` has not the shape `{ jwks: { keys }, fetchedAt, freshUntil }` (finite epoch-ms numbers).
   */
  seed(exported: unknown): Promise<SeedOutcome> {
    return this.loader.seed(exported);
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
    return this.withinStaleWindow(current, now) || this.withinRevalidateWindow(current, now)
      ? 'stale-serving'
      : 'no-keys';
  }

  /** The counters and the state of the current set. */
  stats(): IssuerKeyStats {
    const current = this.current;
    const { fetches, fetchErrors } = this.loader.counters;
    return {
      hits: this.counters.hits,
      misses: this.counters.misses,
      fetches,
      fetchErrors,
      staleServes: this.counters.staleServes,
      revalidatingServes: this.counters.revalidatingServes,
      cooldownRejections: this.counters.cooldownRejections,
      keys: current?.keys.length ?? 0,
      skippedKeys: current?.skipped ?? 0,
      state: current === undefined ? 'empty' : clock.now() < current.freshUntil ? 'fresh' : 'stale',
      freshUntil: current?.freshUntil,
      lastFetchAt: Number.isFinite(this.loader.lastAttemptAt) ? this.loader.lastAttemptAt : undefined,
    };
  }

  /** Stops background retries; later failures schedule none. */
  close(): void {
    this.loader.close();
  }

  private async refetchForUnknownKey(query: KeyQuery): Promise<UsableKey[]> {
    const { issuer } = this.settings;
    // A load already under way (e.g. started by the first token signed with a rotated key) serves
    // every request that arrives meanwhile: single-flight comes before the cooldown.
    const running = this.loader.running();
    if (running !== undefined) {
      const joined = await running.catch(() => undefined);
      const candidates = joined === undefined ? [] : selectKeys(joined.keys, query);
      if (candidates.length > 0) return candidates;
    }
    // From here to `load` nothing awaits: the first call of a burst starts the refetch and marks
    // the attempt, so every later call of the burst sees it (in flight) rather than the cooldown.
    const started = this.loader.running();
    if (started !== undefined) return this.awaitRefetch(started, query);
    if (clock.now() - this.loader.lastAttemptAt < this.settings.jwks.cooldown) {
      this.counters.cooldownRejections++;
      this.dependencies.events.emit('jwks.unknown_kid', { issuer, refetched: false });
      throw new NoMatchingKeyError(`No key of issuer ${issuer} matches the token (refetch in cooldown)`, {
        cooldown: true,
      });
    }
    this.dependencies.events.emit('jwks.unknown_kid', { issuer, refetched: true });
    return this.awaitRefetch(this.loader.load(true), query);
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
    if (this.loader.running() !== undefined || this.loader.lastAttemptAt >= windowStart) return;
    this.loader.load(false).catch(() => undefined);
  }

  private staleOrThrow(error: unknown): LoadedKeySet {
    const current = this.current;
    const now = clock.now();
    if (current !== undefined && now < current.freshUntil) return current;
    if (current !== undefined && this.withinStaleWindow(current, now)) return this.serveStale(current, now);
    throw this.unavailable(error);
  }

  private usabilityOf(current: LoadedKeySet, now: number): Usability {
    return usabilityOf(current, now, this.settings.jwks, this.loader.retrying);
  }

  private withinStaleWindow(current: LoadedKeySet, now: number): boolean {
    return withinStaleWindow(current, now, this.settings.jwks);
  }

  private withinRevalidateWindow(current: LoadedKeySet, now: number): boolean {
    return withinRevalidateWindow(current, now, this.settings.jwks);
  }

  /** Serves the previous set past its freshness and makes sure one refresh is under way. */
  private serveWhileRevalidating(current: LoadedKeySet): LoadedKeySet {
    if (this.loader.running() === undefined) this.loader.load(false).catch(() => undefined);
    this.counters.revalidatingServes++;
    return current;
  }

  private serveStale(current: LoadedKeySet, now: number): LoadedKeySet {
    this.counters.staleServes++;
    this.dependencies.events.emit('jwks.stale_served', {
      issuer: this.settings.issuer,
      staleForMs: now - current.freshUntil,
    });
    return current;
  }

  private unavailable(cause?: unknown): KeySetUnavailableError {
    return new KeySetUnavailableError(`The keys of issuer ${this.settings.issuer} are unavailable`, { cause });
  }
}
