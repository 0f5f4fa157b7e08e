import { createHmac, randomUUID } from 'node:crypto';
import type { RedisConnection } from './redis-connection.js';
import { FAULT, type SharedStoreCalls } from './shared-store-calls.js';
import { lockKeyOf, STORE_KEY_PREFIX } from './store-keys.js';
import type { ClaimOutcome } from './store-types.js';

/**
 * The fleet-wide lock and "accept once" claims on the `@keyv/redis` tier (Redis `SET NX PX`).
 * Without Redis, or while it is unreachable, every lock is granted (availability over
 * deduplication) and every claim is `'unavailable'`.
 */
export class FleetLock {
  private readonly heldLocks = new Map<string, string>();

  constructor(
    private readonly redis: RedisConnection | undefined,
    private readonly calls: SharedStoreCalls,
    private readonly integrityKeyBytes: Buffer | undefined,
  ) {}

  /** Whether the lock coordinates a fleet (a `@keyv/redis` tier is configured). */
  get coordinates(): boolean {
    return this.redis !== undefined;
  }

  /** `true` when this caller now holds the lock of `key` for at most `ttlMs`, or nothing coordinates. */
  async lock(key: string, ttlMs: number): Promise<boolean> {
    const redis = this.redis;
    if (redis === undefined) return true;
    const token = randomUUID();
    const acquired = await this.calls.call('set', () => redis.acquire(lockKeyOf(key), token, ttlMs));
    if (acquired === FAULT) return true;
    if (acquired) this.heldLocks.set(key, token);
    return acquired;
  }

  /** Releases a lock taken by {@link lock} on this instance (only if it still holds it). */
  async unlock(key: string): Promise<void> {
    const token = this.heldLocks.get(key);
    const redis = this.redis;
    if (token === undefined || redis === undefined) return;
    this.heldLocks.delete(key);
    await this.calls.call('delete', () => redis.release(lockKeyOf(key), token));
  }

  /** Whether a peer still holds the lock of `key`; `true` without Redis (nothing to ask). */
  async isHeld(key: string): Promise<boolean> {
    const redis = this.redis;
    if (redis === undefined) return true;
    const held = await this.calls.call('get', () => redis.isLocked(lockKeyOf(key)));
    return held !== false;
  }

  /** Claims `key` fleet-wide for `ttlMs`; only the key's existence is used (see `CacheStore.claimOnce`). */
  async claimOnce(key: string, ttlMs: number): Promise<ClaimOutcome> {
    const redis = this.redis;
    if (redis === undefined) return 'unavailable';
    const claimed = await this.calls.call('set', () => redis.acquire(this.onceKeyOf(key), '1', ttlMs));
    if (claimed === FAULT) return 'unavailable';
    return claimed ? 'claimed' : 'taken';
  }

  private onceKeyOf(key: string): string {
    const rest = key.startsWith(STORE_KEY_PREFIX) ? key.slice(STORE_KEY_PREFIX.length) : key;
    if (this.integrityKeyBytes === undefined) return `${STORE_KEY_PREFIX}once:${rest}`;
    return `${STORE_KEY_PREFIX}once:${createHmac('sha256', this.integrityKeyBytes).update(rest).digest('base64url')}`;
  }
}
