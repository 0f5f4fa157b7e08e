import { CacheStore } from '../store/cache-store.js';
import { clock } from '../internal/clock.js';
import type { IssuerSettings } from './issuer-settings.js';
import type { LoadedKeySet } from './key-set-state-types.js';
import {
  acceptStoredKeySet,
  hasStoredShape,
  type AcceptedKeySet,
  type ExportedKeySet,
  type StoredKeySet,
} from './stored-key-set.js';

/**
 * One key set's entry in the shared store and its plain-JSON forms: what is written (public keys,
 * `fetchedAt`, `freshUntil`, `max-age`), what is exported for a seed, and the checks on the way
 * back in (`acceptStoredKeySet`). HS* key sets hold secrets: shared only encrypted (the
 * `CacheStore` keeps a confidential entry in process otherwise) and never exported.
 */
export class KeySetStore {
  /** The entry's store key. */
  readonly key: string;
  /** The entry holds secrets (an HS* issuer's `oct` keys). */
  readonly confidential: boolean;

  /** @param key the store key; by default the issuer's (`CacheStore.key('jwks', issuer)`). */
  constructor(
    private readonly store: CacheStore,
    private readonly settings: IssuerSettings,
    key?: string,
  ) {
    this.key = key ?? CacheStore.key('jwks', settings.issuer);
    this.confidential = settings.allowSymmetric;
  }

  /** Whether the entry goes through a shared store at all (see `CacheStore.shares`). */
  get shared(): boolean {
    return this.store.shares(this.key, { confidential: this.confidential });
  }

  /**
   * The stored set, validated again (public signing keys only, freshness capped by this
   * process's settings); `undefined` when there is none, it is not newer than `newerThan`
   * (epoch ms), or it is refused.
   * @param now the time the read started, for the checks of `acceptStoredKeySet`.
   */
  async read(skipL1: boolean, newerThan: number | undefined, now: number): Promise<AcceptedKeySet | undefined> {
    const entry = await this.store.get<unknown>(this.key, { skipL1, confidential: this.confidential });
    if (!hasStoredShape(entry) || (newerThan !== undefined && entry.fetchedAt <= newerThan)) return undefined;
    const accepted = await acceptStoredKeySet(entry, this.settings, now);
    return typeof accepted === 'string' ? undefined : accepted;
  }

  /**
   * Writes `loaded` for its freshness plus `staleIfError`. Never rejects: a store failure costs
   * other instances a fetch, never this one.
   */
  async write(loaded: LoadedKeySet): Promise<void> {
    const ttl = loaded.freshUntil - clock.now() + this.settings.jwks.staleIfError;
    await this.store.set(this.key, storedEntryOf(loaded), ttl, { confidential: this.confidential });
  }

  /**
   * While a peer fetches: whether an entry it wrote is the one to wait for (a stored set newer
   * than `known`, epoch ms, and still fresh).
   */
  static isNewerFresh(entry: unknown, known: number): boolean {
    return hasStoredShape(entry) && entry.fetchedAt > known && clock.now() < entry.freshUntil;
  }

  /**
   * A seed, through the very checks of a stored entry; symmetric keys never come from one.
   * `undefined` when refused.
   */
  async acceptSeed(exported: ExportedKeySet, now: number): Promise<AcceptedKeySet | undefined> {
    const accepted = await acceptStoredKeySet(exported, { ...this.settings, allowSymmetric: false }, now);
    return typeof accepted === 'string' ? undefined : accepted;
  }
}

/** Whether `value` has the shape of an exported set (`{ jwks: { keys }, fetchedAt, freshUntil }`, finite numbers). */
export function isExportedKeySet(value: unknown): value is ExportedKeySet {
  return hasStoredShape(value);
}

/**
 * `loaded` as plain JSON for a caller to keep and seed back; `undefined` without keys to export.
 * `oct` members (an HS* issuer's secrets) are never exported.
 */
export function exportedKeySetOf(loaded: LoadedKeySet | undefined): ExportedKeySet | undefined {
  const keys = loaded?.keys.filter((key) => key.kty !== 'oct').map((key) => ({ ...key.jwk })) ?? [];
  if (loaded === undefined || keys.length === 0) return undefined;
  return { jwks: { keys }, fetchedAt: loaded.fetchedAt, freshUntil: loaded.freshUntil };
}

/** What is written to the shared store for `loaded`. */
function storedEntryOf(loaded: LoadedKeySet): StoredKeySet {
  return {
    jwks: { keys: loaded.keys.map((key) => ({ ...key.jwk })) },
    fetchedAt: loaded.fetchedAt,
    freshUntil: loaded.freshUntil,
    skipped: loaded.skipped,
    ...(loaded.maxAge === undefined ? {} : { maxAge: loaded.maxAge }),
  };
}
