import type { Keyv } from 'keyv';
import { pause } from './bounded-wait.js';

/** The part of a node-redis client (`@keyv/redis`'s `client`) used here. */
interface RedisLikeClient {
  isOpen: boolean;
  /** Present on single-node clients; cluster clients route per command and have no such flag. */
  isReady?: boolean;
  set(key: string, value: string, options: { NX: true; PX: number }): Promise<string | null>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  exists(key: string): Promise<number>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** The part of a `@keyv/redis` adapter used here. */
interface RedisLikeAdapter {
  client: RedisLikeClient;
  namespace?: string;
  getClient(): Promise<unknown>;
  createKeyPrefix?(key: string, namespace?: string): string;
}

const RELEASE_IF_OWNER =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
const READY_POLL_MS = 5;

/**
 * The Redis connection behind a `@keyv/redis` tier: tells whether commands can be sent now
 * (so a dead Redis costs nothing, instead of queueing every command until it reconnects), and
 * runs the lock commands (`SET NX PX`, compare-and-delete) on the raw client.
 */
export class RedisConnection {
  /** Set when the connection was lost or a first connect did not complete in time; cleared on `ready`. */
  private down = false;

  private constructor(private readonly adapter: RedisLikeAdapter) {
    adapter.client.on('ready', () => {
      this.down = false;
    });
    adapter.client.on('end', () => {
      this.down = true;
    });
    adapter.client.on('error', () => {
      if (adapter.client.isReady !== true) this.down = true;
    });
  }

  /** The connection of the first `@keyv/redis` tier among `stores`, if there is one. */
  static find(stores: readonly Keyv[]): RedisConnection | undefined {
    for (const keyv of stores) {
      const adapter = (keyv as { store?: unknown }).store;
      if (isRedisAdapter(adapter)) return new RedisConnection(adapter);
    }
    return undefined;
  }

  /**
   * Whether commands can be sent now. A client known to be down answers `false` at once; one
   * that has not connected yet gets up to `waitMs` to become ready (the connect is started here).
   */
  async ready(waitMs: number): Promise<boolean> {
    const client = this.adapter.client;
    if (client.isReady === undefined) return true;
    if (client.isReady) return true;
    if (this.down && client.isOpen) return false;
    if (!client.isOpen) this.adapter.getClient().catch(() => undefined);
    return this.pollReady(waitMs);
  }

  /** `SET key token NX PX ttl`: `true` when this caller now holds the lock. */
  async acquire(lockKey: string, token: string, ttlMs: number): Promise<boolean> {
    const result = await this.adapter.client.set(this.prefixed(lockKey), token, {
      NX: true,
      PX: Math.max(1, Math.ceil(ttlMs)),
    });
    return result === 'OK';
  }

  /** Deletes the lock only if `token` still holds it (an expired lock may belong to another). */
  async release(lockKey: string, token: string): Promise<void> {
    await this.adapter.client.eval(RELEASE_IF_OWNER, { keys: [this.prefixed(lockKey)], arguments: [token] });
  }

  /** Whether anyone holds the lock. */
  async isLocked(lockKey: string): Promise<boolean> {
    return (await this.adapter.client.exists(this.prefixed(lockKey))) > 0;
  }

  private async pollReady(waitMs: number): Promise<boolean> {
    const started = performance.now();
    while (performance.now() - started < waitMs) {
      if (this.adapter.client.isReady === true) return true;
      await pause(READY_POLL_MS);
    }
    const ready = this.adapter.client.isReady === true;
    if (!ready) this.down = true;
    return ready;
  }

  private prefixed(key: string): string {
    return this.adapter.createKeyPrefix?.(key, this.adapter.namespace) ?? key;
  }
}

function isRedisAdapter(value: unknown): value is RedisLikeAdapter {
  if (value === null || typeof value !== 'object') return false;
  const adapter = value as Partial<RedisLikeAdapter>;
  const client = adapter.client as Partial<RedisLikeClient> | undefined;
  return (
    typeof adapter.getClient === 'function' &&
    client !== undefined &&
    typeof client.set === 'function' &&
    typeof client.eval === 'function' &&
    typeof client.exists === 'function' &&
    typeof client.on === 'function'
  );
}
