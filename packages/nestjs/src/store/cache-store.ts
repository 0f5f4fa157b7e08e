import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { createCache, type Cache } from 'cache-manager';
import { JwksCacheEvents } from '../observability/jwks-cache-events.js';
import { JWKS_CACHE_CONFIG } from '../jwks-cache.module-definition.js';
import type { JwksCacheModuleOptions, StoreOptions } from '../config/options.js';
import { resolveConfig } from '../config/resolve-config.js';
import { pause } from './bounded-wait.js';
import { EntryCipher } from './entry-cipher.js';
import { MemoryTier } from './memory-tier.js';
import { RedisConnection } from './redis-connection.js';
import { parseSecretKey } from './secret-key.js';
import { EnvelopeCodec } from './store-envelope.js';
import { FleetLock } from './fleet-lock.js';
import { FAULT, SharedStoreCalls } from './shared-store-calls.js';
import { clock } from '../internal/clock.js';
import { kindOf, STORE_KEY_PREFIX, storeKey, type StoreEntryKind } from './store-keys.js';
import type {
  ClaimOutcome,
  LockOutcome,
  StoreGetOptions,
  StoreSharingOptions,
  StoreStats,
  WaitForOptions,
} from './store-types.js';

/** Kinds whose entries name URLs: shared only when an HMAC (`integrityKey`) authenticates them. */
const URL_BEARING_KINDS: ReadonlySet<string> = new Set(['discovery']);

const DEFAULT_LOCK_TTL_MS = 10_000;
const DEFAULT_WAIT_TIMEOUT_MS = 2_000;
const DEFAULT_WAIT_INTERVAL_MS = 50;
/** How long module start waits for a configured Redis to connect (start never fails on it). */
const STARTUP_CONNECT_WAIT_MS = 1_000;

/**
 * The cache-manager layer every other part reads and writes through. Keys are
 * `jwks-cache:v1:<kind>:<sha256 of the variable part>`, so no URL, tenant or client id appears
 * in the store in clear. TTLs are in milliseconds.
 *
 * Without `stores`, one bounded in-memory tier. With `stores` (Keyv tiers, or a cache-manager
 * `Cache`), a short-lived in-memory L1 sits in front of them, and every entry written to them is
 * wrapped in a validated envelope (optional HMAC, optional encryption of tokens). A shared store
 * that fails or is slow is a miss: `get` resolves `undefined`, `set`/`delete` resolve, the fault
 * is counted, logged (rate-limited) and emitted as `store.error`.
 */
@Injectable()
export class CacheStore implements OnModuleInit {
  private readonly logger = new Logger(CacheStore.name);
  private readonly settings: Required<StoreOptions>;
  private readonly l1: MemoryTier;
  private readonly l2: Cache | undefined;
  private readonly redis: RedisConnection | undefined;
  private readonly codec: EnvelopeCodec;
  private readonly authenticates: boolean;
  private readonly encrypts: boolean;
  private readonly calls: SharedStoreCalls;
  private readonly fleetLock: FleetLock;
  private readonly counters: StoreStats = {
    l1Hits: 0,
    l2Hits: 0,
    misses: 0,
    errors: 0,
    timeouts: 0,
    rejectedEntries: 0,
  };

  constructor(@Inject(JWKS_CACHE_CONFIG) options: JwksCacheModuleOptions, events: JwksCacheEvents) {
    this.settings = resolveConfig(options).storeOptions;
    this.l1 = new MemoryTier(this.settings.l1MaxEntries);
    this.l2 = toSharedCache(options.stores);
    this.redis = this.l2 === undefined ? undefined : RedisConnection.find(this.l2.stores);
    const cipher = options.encryptionKey === undefined ? undefined : new EntryCipher(options.encryptionKey);
    this.codec = new EnvelopeCodec(options.integrityKey, cipher);
    this.authenticates = options.integrityKey !== undefined;
    const integrityKeyBytes =
      options.integrityKey === undefined ? undefined : parseSecretKey(options.integrityKey, 'integrityKey');
    this.encrypts = cipher !== undefined;
    const { logInterval, timeout } = this.settings;
    this.calls = new SharedStoreCalls(this.counters, events, this.logger, logInterval, timeout, this.redis);
    this.fleetLock = new FleetLock(this.redis, this.calls, integrityKeyBytes);
    this.l2?.stores.forEach((tier) => this.calls.watchTierErrors(tier));
    // A shared `Cache` (the app's CACHE_MANAGER) also serves the app: only our keys are ours.
    this.l2?.on('get', ({ key, error }) => {
      if (error !== undefined && key.startsWith(STORE_KEY_PREFIX)) this.calls.onSwallowedReadError(key, error);
    });
  }

  /** The store key for an entry of `kind` identified by `parts` (hashed). */
  static key(kind: StoreEntryKind, ...parts: string[]): string {
    return storeKey(kind, ...parts);
  }

  /**
   * Whether {@link lock} coordinates a fleet (a `@keyv/redis` tier is configured). Without it the
   * lock is always granted, so callers may skip the lock-and-re-read dance altogether.
   */
  get hasFleetLock(): boolean {
    return this.fleetLock.coordinates;
  }

  /** Connects a configured Redis early, so the first requests do not pay for it. Never fails. */
  async onModuleInit(): Promise<void> {
    await this.redis?.ready(STARTUP_CONNECT_WAIT_MS);
  }

  /**
   * The value under `key`: from the L1, else from the shared store (validated, then kept in the
   * L1). `undefined` on a miss, on an invalid entry and on any store fault; never rejects.
   */
  async get<T>(key: string, options: StoreGetOptions<T> = {}): Promise<T | undefined> {
    if (options.skipL1 !== true) {
      const local = this.l1.get(key);
      if (local !== undefined) {
        this.counters.l1Hits += 1;
        return local.value as T;
      }
    }
    const shared = await this.readShared<T>(key, options.validate, options.confidential === true);
    if (shared === FAULT || shared === undefined) {
      this.counters.misses += 1;
      return undefined;
    }
    this.counters.l2Hits += 1;
    return shared;
  }

  /**
   * Stores `value` under `key` for `ttl` ms, in the L1 and the shared store (when the entry may be
   * shared: {@link shares}; otherwise in the L1 only, for the whole `ttl`). Resolves once the
   * shared store took it, failed or timed out; never rejects. `undefined` deletes the entry.
   */
  async set<T>(key: string, value: T, ttl: number, options: StoreSharingOptions = {}): Promise<void> {
    if (value === undefined) return this.delete(key);
    const ttlMs = Math.max(1, Math.ceil(ttl));
    const l2 = this.l2;
    const confidential = options.confidential === true;
    if (l2 === undefined || !this.shares(key, options)) {
      this.l1.set(key, value, ttlMs);
      return;
    }
    this.l1.set(key, value, this.l1TtlFor(ttlMs));
    const envelope = this.codec.seal(key, kindOf(key), value, clock.now() + ttlMs, confidential);
    await this.calls.call('set', () => l2.set(key, envelope, ttlMs));
  }

  /**
   * Whether an entry under `key` goes through the shared store at all: there is one, the entry
   * does not name a URL or an `integrityKey` authenticates it, and it is not confidential or an
   * `encryptionKey` encrypts it.
   */
  shares(key: string, options: StoreSharingOptions = {}): boolean {
    if (this.l2 === undefined) return false;
    if (URL_BEARING_KINDS.has(kindOf(key)) && !this.authenticates) return false;
    return options.confidential !== true || this.encrypts;
  }

  /** Removes the entry from the L1 and the shared store. Never rejects. */
  async delete(key: string): Promise<void> {
    this.l1.delete(key);
    const l2 = this.l2;
    if (l2 === undefined) return;
    await this.calls.call('delete', () => l2.del(key));
  }

  /** A snapshot of the counters. */
  stats(): StoreStats {
    return { ...this.counters };
  }

  /**
   * Takes the fleet-wide lock for `key` for at most `ttlMs` (Redis `SET NX PX`). `true` when this
   * caller holds it — and also when there is no Redis tier, or Redis is unreachable: then every
   * instance fetches for itself, availability over deduplication. `false` when a peer holds it.
   */
  lock(key: string, ttlMs: number = DEFAULT_LOCK_TTL_MS): Promise<boolean> {
    return this.fleetLock.lock(key, ttlMs);
  }

  /**
   * Claims `key` fleet-wide for `ttlMs` (Redis `SET NX PX`), for "accept once" checks such as a
   * DPoP proof's `jti`. Only the key's existence is used, so a writer of Redis can at worst deny
   * (a planted key) or forget (a deleted one), never forge a value; with an `integrityKey` the
   * key is an HMAC, so one cannot be planted ahead for a given input.
   */
  claimOnce(key: string, ttlMs: number): Promise<ClaimOutcome> {
    return this.fleetLock.claimOnce(key, ttlMs);
  }

  /** Releases a lock taken by {@link lock} on this instance (only if it still holds it). */
  unlock(key: string): Promise<void> {
    return this.fleetLock.unlock(key);
  }

  /**
   * Runs `fn` while holding the fleet-wide lock for `key`, then releases it. When a peer holds
   * it, `fn` is not run: poll for the peer's result with {@link waitFor}. `fn` should re-read the
   * shared store first (a peer may have finished just before) and write its result before
   * returning, so waiting peers find it.
   */
  async withLock<R>(key: string, fn: () => Promise<R>, options: { ttl?: number } = {}): Promise<LockOutcome<R>> {
    if (!(await this.lock(key, options.ttl ?? DEFAULT_LOCK_TTL_MS))) return { acquired: false };
    try {
      return { acquired: true, result: await fn() };
    } finally {
      await this.unlock(key);
    }
  }

  /**
   * Polls the shared store (bypassing the L1) until a value passing `until` appears under `key`,
   * for up to `timeout` ms, or until the lock holder let go. `undefined` when none came, or at
   * once when the store is failing, so the caller fetches for itself.
   */
  async waitFor<T>(key: string, options: WaitForOptions<T> = {}): Promise<T | undefined> {
    const interval = Math.max(1, options.interval ?? DEFAULT_WAIT_INTERVAL_MS);
    // Counted in attempts rather than against the clock, so a test that fakes Date cannot stall it.
    const attempts = Math.max(1, Math.ceil((options.timeout ?? DEFAULT_WAIT_TIMEOUT_MS) / interval));
    const accepts = (value: T): boolean => options.until === undefined || options.until(value);
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      const shared = await this.readShared<T>(key, undefined, options.confidential === true);
      if (shared === FAULT) return undefined;
      if (shared !== undefined && accepts(shared)) return this.countWaitHit(shared);
      if (options.stopWhenUnlocked !== false && !(await this.fleetLock.isHeld(key))) {
        // The holder may have written just before letting go: one last look.
        const last = await this.readShared<T>(key, undefined, options.confidential === true);
        return last !== FAULT && last !== undefined && accepts(last) ? this.countWaitHit(last) : undefined;
      }
      await pause(interval);
    }
    return undefined;
  }

  private countWaitHit<T>(value: T): T {
    this.counters.l2Hits += 1;
    return value;
  }

  private async readShared<T>(
    key: string,
    validate: ((value: unknown) => value is T) | undefined,
    confidential: boolean,
  ): Promise<T | undefined | typeof FAULT> {
    const l2 = this.l2;
    // An entry that may not be shared is not read either: whatever is there, we did not write it.
    if (l2 === undefined || !this.shares(key, { confidential })) return undefined;
    const raw = await this.calls.call('get', () => l2.get<unknown>(key));
    if (raw === FAULT) return FAULT;
    if (raw === undefined || raw === null) return undefined;
    const opened = this.codec.open(key, kindOf(key), raw, confidential);
    if (opened.status === 'expired') return undefined;
    if (opened.status === 'rejected') return this.calls.reject(key, opened.reason);
    if (validate !== undefined && !validate(opened.value)) return this.calls.reject(key, 'shape');
    this.l1.set(key, opened.value, this.l1TtlFor((raw as { exp: number }).exp - clock.now()));
    return opened.value as T;
  }

  private l1TtlFor(entryTtlMs: number): number {
    return this.l2 === undefined ? entryTtlMs : Math.min(this.settings.l1Ttl, entryTtlMs);
  }
}

function toSharedCache(stores: JwksCacheModuleOptions['stores']): Cache | undefined {
  if (stores === undefined) return undefined;
  if (Array.isArray(stores)) return stores.length > 0 ? createCache({ stores }) : undefined;
  return stores;
}
