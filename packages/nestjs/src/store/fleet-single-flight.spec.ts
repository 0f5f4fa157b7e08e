import { describe, expect, it } from '@jest/globals';
import type { CacheStore } from './cache-store.js';
import { onceForFleet, type FleetFlight } from './fleet-single-flight.js';

/** A store whose lock and shared entry the test scripts; it records what was asked of it. */
function scriptedStore(script: { fleetLock: boolean; lockFree?: boolean; publishes?: unknown }) {
  const calls: string[] = [];
  const store = {
    hasFleetLock: script.fleetLock,
    async withLock<R>(key: string, fn: () => Promise<R>, options: { ttl?: number }) {
      calls.push(`lock ${key} ttl=${options.ttl}`);
      return script.lockFree === true ? { acquired: true as const, result: await fn() } : { acquired: false as const };
    },
    async waitFor(key: string, options: { timeout?: number; confidential?: boolean; until?: (entry: unknown) => boolean }) {
      calls.push(`wait ${key} timeout=${options.timeout} confidential=${options.confidential}`);
      const entry = script.publishes;
      return entry !== undefined && options.until!(entry) ? entry : undefined;
    },
  };
  return { store: store as unknown as CacheStore, calls };
}

function flight(calls: string[], overrides: Partial<FleetFlight<string>> = {}): FleetFlight<string> {
  return {
    key: 'k',
    shared: true,
    lockTtl: 10_000,
    adopt: async (skipL1) => {
      calls.push(`adopt skipL1=${skipL1}`);
      return skipL1 ? undefined : 'adopted';
    },
    work: async () => {
      calls.push('work');
      return 'worked';
    },
    awaited: () => (entry) => entry === 'fresh',
    ...overrides,
  };
}

describe('onceForFleet', () => {
  it('works alone without a fleet lock, or for a key that is not shared', async () => {
    const alone = scriptedStore({ fleetLock: false });
    await expect(onceForFleet(alone.store, flight(alone.calls))).resolves.toBe('worked');
    expect(alone.calls).toEqual(['work']);
    const unshared = scriptedStore({ fleetLock: true, lockFree: true });
    await expect(onceForFleet(unshared.store, flight(unshared.calls, { shared: false }))).resolves.toBe('worked');
    expect(unshared.calls).toEqual(['work']);
  });

  it('under the lock, reads the store past L1 once more before working', async () => {
    const { store, calls } = scriptedStore({ fleetLock: true, lockFree: true });
    await expect(onceForFleet(store, flight(calls))).resolves.toBe('worked');
    expect(calls).toEqual(['lock k ttl=10000', 'adopt skipL1=true', 'work']);
  });

  it('with the lock taken, waits for the peer’s result and adopts it, without working', async () => {
    const { store, calls } = scriptedStore({ fleetLock: true, publishes: 'fresh' });
    await expect(onceForFleet(store, flight(calls, { confidential: true }))).resolves.toBe('adopted');
    expect(calls).toEqual(['lock k ttl=10000', 'wait k timeout=10000 confidential=true', 'adopt skipL1=false']);
  });

  it('works itself when the peer’s result does not show up (or is not the one awaited)', async () => {
    const { store, calls } = scriptedStore({ fleetLock: true, publishes: 'stale' });
    await expect(onceForFleet(store, flight(calls))).resolves.toBe('worked');
    expect(calls).toEqual(['lock k ttl=10000', 'wait k timeout=10000 confidential=undefined', 'work']);
  });
});
