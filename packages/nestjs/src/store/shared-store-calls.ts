import type { Logger } from '@nestjs/common';
import type { Keyv } from 'keyv';
import { StoreEntryRejectedError, StoreError, StoreTimeoutError } from '../errors.js';
import type { JwksCacheEvents } from '../observability/jwks-cache-events.js';
import { RateLimitedLogger } from '../observability/rate-limited-logger.js';
import { withinBound } from './bounded-wait.js';
import type { RedisConnection } from './redis-connection.js';
import type { RejectionReason } from './store-envelope.js';
import { kindOf } from './store-keys.js';
import type { StoreStats } from './store-types.js';

export type StoreOperation = 'get' | 'set' | 'delete';

/** A shared-store operation that failed or timed out (already counted, logged and emitted). */
export const FAULT = Symbol('store fault');

/**
 * Every call to the shared store goes through here: bounded by `storeOptions.timeout`, skipped
 * while a configured Redis is not connected, and a failure, timeout or rejected entry counted in
 * the store's counters, logged (rate-limited) and emitted as `store.error`.
 */
export class SharedStoreCalls {
  private readonly log: RateLimitedLogger;

  constructor(
    private readonly counters: StoreStats,
    private readonly events: JwksCacheEvents,
    logger: Logger,
    logInterval: number,
    private readonly timeout: number,
    private readonly redis: RedisConnection | undefined,
  ) {
    this.log = new RateLimitedLogger(logger, logInterval);
  }

  /** Runs one shared-store operation within the bound; a failure or timeout becomes {@link FAULT}. */
  async call<R>(operation: StoreOperation, work: () => Promise<R>): Promise<R | typeof FAULT> {
    const started = performance.now();
    if (this.redis !== undefined && !(await this.redis.ready(this.timeout))) {
      this.recordFault(operation, new StoreError(`Cache store ${operation} skipped: Redis is not connected`));
      return FAULT;
    }
    const remaining = Math.max(1, this.timeout - (performance.now() - started));
    try {
      return await withinBound(work(), remaining, operation);
    } catch (error) {
      this.recordFault(operation, error);
      return FAULT;
    }
  }

  /** Counts, logs and emits an entry of the shared store that failed a check; always `undefined`. */
  reject(key: string, reason: RejectionReason): undefined {
    this.counters.rejectedEntries += 1;
    const error = new StoreEntryRejectedError(
      `Ignored a ${kindOf(key)} entry of the shared store: ${reason} check failed`,
    );
    this.log.warn('rejected', error.message);
    this.events.emit('store.error', { operation: 'get', error });
    return undefined;
  }

  /**
   * cache-manager answers a failed tier read with a miss and reports it only as an event: an
   * entry that does not even parse (garbage written into Redis) is a rejected entry, anything
   * else a fault.
   */
  onSwallowedReadError(key: string, error: unknown): void {
    if (error instanceof SyntaxError) this.reject(key, 'shape');
    else this.recordFault('get', error);
  }

  /** Keyv tiers swallow their adapter's errors (returning a miss); they are logged here. */
  watchTierErrors(tier: Keyv): void {
    // Keyv answers a failed adapter call with a miss unless told to throw: make it throw, so the
    // bounded call above sees the failure and counts, logs and emits it as a store.error.
    tier.throwOnErrors = true;
    tier.on('error', (error: unknown) =>
      this.log.warn('connection', `Shared cache store reported an error (${describeCause(error)})`),
    );
  }

  private recordFault(operation: StoreOperation, error: unknown): void {
    const timedOut = error instanceof StoreTimeoutError;
    if (timedOut) this.counters.timeouts += 1;
    else this.counters.errors += 1;
    const storeError =
      error instanceof StoreError ? error : new StoreError(`Cache store ${operation} failed`, { cause: error });
    this.log.warn(operation, `${storeError.message}; treated as a miss (${describeCause(error)})`);
    this.events.emit('store.error', { operation, error: storeError });
  }
}

/** Name and code of an error, never its payload (driver messages may echo a command). */
function describeCause(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.name} ${code}` : error.name;
  }
  return typeof error === 'string' ? 'error event' : 'unknown error';
}
