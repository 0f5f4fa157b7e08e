import type { CacheStore } from './cache-store.js';

/** One piece of work that the instances sharing a store should do once between them. */
export interface FleetFlight<T> {
  /** The store key the result is published under (and locked by). */
  readonly key: string;
  /** Whether the key goes through the shared store at all; without, every instance works alone. */
  readonly shared: boolean;
  /** Whether the entry is confidential (read and written encrypted; see `StoreSharingOptions`). */
  readonly confidential?: boolean;
  /** How long one instance may hold the lock, and how long the others wait for its result, in ms. */
  readonly lockTtl: number;
  /** A usable result another instance published, read past the L1 when `skipL1` (under the lock). */
  adopt(skipL1: boolean): Promise<T | undefined>;
  /** The work itself; it publishes its result to the store before it resolves. */
  work(): Promise<T>;
  /**
   * Called once the lock is found taken, before waiting: which entry seen while waiting is the
   * result awaited (e.g. newer than what this instance holds at that moment, and fresh).
   */
  awaited(): (entry: unknown) => boolean;
}

/**
 * Fleet-wide single-flight (`CacheStore.withLock` + `waitFor`): one instance takes the lock,
 * reads the store once more (a peer may have just finished), and does the work; the others poll
 * the shared store for its result and adopt it. Without a fleet lock (no Redis), when the key is
 * not shared, or when the result does not show up in time, an instance does the work itself: the
 * lock saves requests, it never blocks one.
 */
export async function onceForFleet<T>(store: CacheStore, flight: FleetFlight<T>): Promise<T> {
  if (!store.hasFleetLock || !flight.shared) return flight.work();
  const outcome = await store.withLock(flight.key, async () => (await flight.adopt(true)) ?? flight.work(), {
    ttl: flight.lockTtl,
  });
  if (outcome.acquired) return outcome.result;
  const published = await store.waitFor<unknown>(flight.key, {
    timeout: flight.lockTtl,
    ...(flight.confidential === undefined ? {} : { confidential: flight.confidential }),
    until: flight.awaited(),
  });
  return (published === undefined ? undefined : await flight.adopt(false)) ?? flight.work();
}
