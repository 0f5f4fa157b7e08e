import { FetchError } from '../errors.js';
import type { JwksCacheEvents } from '../observability/jwks-cache-events.js';
import type { CacheStore } from '../store/cache-store.js';
import { onceForFleet } from '../store/fleet-single-flight.js';
import { freshnessFor } from '../internal/max-age.js';
import { SingleFlight } from '../internal/single-flight.js';
import { clock } from '../internal/clock.js';
import { BackgroundRetry } from './background-retry.js';
import type { IssuerSettings } from './issuer-settings.js';
import type { KeySet } from './key-set.js';
import { fetchKeySet } from './key-set-fetch.js';
import type { LoadedKeySet, SeedOutcome } from './key-set-state-types.js';
import { isExportedKeySet, KeySetStore } from './key-set-store.js';
import type { ExportedKeySet } from './stored-key-set.js';

/** What loading a key set needs from outside. */
export interface KeySetLoaderDependencies {
  store: CacheStore;
  events: JwksCacheEvents;
  /** The JWKS URL: configured, or discovered (a `FetchError` when discovery fails). */
  jwksUri: () => Promise<string>;
  /** The shared-store key of the set. @default CacheStore.key('jwks', settings.issuer) */
  storeKey?: string;
}

/**
 * Where one issuer's key set comes from, and the set it holds: single-flight loads, a seed or the
 * shared store first, one fetch for the fleet (`onceForFleet`), the issuer's response (freshness
 * from `max-age` or `ttl`), and background retries while the issuer fails. `IssuerKeyState`
 * decides when to load and what to serve.
 */
export class KeySetLoader {
  /** The set held now; replaced wholesale by every load. */
  current: LoadedKeySet | undefined;
  /** Epoch ms of the last network fetch attempt; the unknown-kid cooldown counts from it. */
  lastAttemptAt = Number.NEGATIVE_INFINITY;
  readonly counters = { fetches: 0, fetchErrors: 0 };
  /** The one load under way (single-flight: every caller during a load shares it). */
  private readonly loads = new SingleFlight<'keys', LoadedKeySet>();
  /** Background retries while the issuer fails (stale-if-error). */
  private readonly retries: BackgroundRetry;
  /** The set's shared-store entry. */
  private readonly stored: KeySetStore;
  /** The latest seed being validated: a load waits for it rather than fetching beside it. */
  private seeding: Promise<unknown> | undefined;

  constructor(
    private readonly settings: IssuerSettings,
    private readonly dependencies: KeySetLoaderDependencies,
  ) {
    this.stored = new KeySetStore(dependencies.store, settings, dependencies.storeKey);
    // Fire and forget: a failed load schedules the next retry itself.
    this.retries = new BackgroundRetry(settings.jwks.retryBackoff, () => void this.load(true).catch(() => undefined));
  }

  /** The load under way, if any. */
  running(): Promise<LoadedKeySet> | undefined {
    return this.loads.current('keys');
  }

  /** Whether background retries run (the issuer failed and requests need a set). */
  get retrying(): boolean {
    return this.retries.retrying;
  }

  /**
   * Installs an exported set (see `JwksProvider.seedKeySet`) after the checks a shared-store entry
   * gets (`acceptStoredKeySet`). Throws a `TypeError` when `exported` has not the shape
   * `{ jwks: { keys }, fetchedAt, freshUntil }` (finite epoch-ms numbers).
   */
  seed(exported: unknown): Promise<SeedOutcome> {
    if (!isExportedKeySet(exported)) {
      return Promise.reject(
        new TypeError(
          `A key-set seed for ${this.settings.issuer} must be { jwks: { keys: [...] }, fetchedAt, freshUntil } with epoch-ms numbers`,
        ),
      );
    }
    const seeding = this.installSeed(exported);
    this.seeding = seeding;
    void seeding.finally(() => {
      if (this.seeding === seeding) this.seeding = undefined;
    });
    return seeding;
  }

  /** Single-flight: every caller during a load shares it. */
  load(force: boolean, retryOnFailure = true): Promise<LoadedKeySet> {
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
      const failure =
        error instanceof FetchError
          ? error
          : new FetchError(
              `Fetching the keys of ${this.settings.issuer} failed`,
              this.settings.jwksUri ?? this.settings.issuer,
              { cause: error },
            );
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

  /** Stops background retries; later failures schedule none. */
  close(): void {
    this.retries.close();
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
