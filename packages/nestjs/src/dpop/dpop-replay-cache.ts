import { Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { DpopProofReplayedError } from '../errors.js';
import type { JwksCacheEvents } from '../observability/jwks-cache-events.js';
import { RateLimitedLogger } from '../observability/rate-limited-logger.js';
import { CacheStore } from '../store/cache-store.js';

/** Proof `jti`s remembered in process, at most (least recently seen dropped first). */
export const DEFAULT_REPLAY_CACHE_SIZE = 100_000;

/** Counters of the replay cache, since start. */
export interface DpopReplayStats {
  /** Proofs accepted (their `jti` seen for the first time). */
  accepted: number;
  /** Proofs refused as replays. */
  replays: number;
  /** Proofs checked in process only because the shared store could not be asked. */
  degraded: number;
}

/**
 * "Each proof is accepted once" (RFC 9449 §11.1): a proof's `jti`, under the thumbprint of its
 * key (so one client's `jti` cannot block another's), is remembered for as long as the proof
 * could pass its `iat` check. Always in a bounded in-process LRU; with a Redis tier, also
 * fleet-wide through {@link CacheStore.claimOnce} (`SET NX PX`), so a proof replayed to another
 * instance is refused too. When Redis fails, proofs are checked in process only — logged
 * (rate-limited), counted and emitted as `dpop.replay_cache_degraded` on every such proof.
 */
export class DpopReplayCache {
  private readonly logger = new Logger('DpopReplayCache');
  private readonly log = new RateLimitedLogger(this.logger);
  private readonly seen: LRUCache<string, true>;
  private readonly counters: DpopReplayStats = { accepted: 0, replays: 0, degraded: 0 };

  constructor(
    private readonly store: CacheStore,
    private readonly events: JwksCacheEvents | undefined,
    size = DEFAULT_REPLAY_CACHE_SIZE,
  ) {
    this.seen = new LRUCache<string, true>({ max: size, ttlAutopurge: false });
  }

  /** Whether replays are caught fleet-wide (a Redis tier is configured) rather than per instance. */
  get fleetWide(): boolean {
    return this.store.hasFleetLock;
  }

  /**
   * Records the proof, or refuses it when its `jti` was seen before under the same key.
   * @param ttlMs how long the proof could still pass its `iat` check (≥ 1).
   * @throws {DpopProofReplayedError}
   */
  async accept(jkt: string, jti: string, ttlMs: number): Promise<void> {
    const ttl = Math.max(1, Math.ceil(ttlMs));
    const key = CacheStore.key('dpop-jti', jkt, jti);
    // Recorded before the shared store is asked: a concurrent copy on this instance is refused at once.
    if (this.seen.has(key)) return this.refuse();
    this.seen.set(key, true, { ttl });
    if (!this.store.hasFleetLock) return this.admit();
    const outcome = await this.store.claimOnce(key, ttl);
    if (outcome === 'taken') return this.refuse();
    if (outcome === 'unavailable') this.degrade();
    return this.admit();
  }

  stats(): DpopReplayStats {
    return { ...this.counters };
  }

  private admit(): void {
    this.counters.accepted += 1;
  }

  private refuse(): never {
    this.counters.replays += 1;
    throw new DpopProofReplayedError('DPoP proof refused: its jti was already used');
  }

  private degrade(): void {
    this.counters.degraded += 1;
    this.log.warn(
      'degraded',
      'The shared store could not be asked whether a DPoP proof was seen before: checked against this instance only, so a proof replayed to another instance would pass until the store is back',
    );
    this.events?.emit('dpop.replay_cache_degraded', { reason: 'store_unavailable' });
  }
}
