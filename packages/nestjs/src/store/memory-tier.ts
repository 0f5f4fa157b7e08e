import { LRUCache } from 'lru-cache';
import { clock } from '../internal/clock.js';

interface MemoryEntry {
  readonly value: unknown;
  readonly expiresAt: number;
}

/**
 * The in-process L1: bounded (least recently used entries are evicted) and expiring per entry.
 * Expiry reads `clock.now()`, so tests can move the clock. Values are kept as given, not copied:
 * callers treat what they read as immutable.
 */
export class MemoryTier {
  private readonly entries: LRUCache<string, MemoryEntry>;

  constructor(maxEntries: number) {
    this.entries = new LRUCache<string, MemoryEntry>({ max: maxEntries });
  }

  /** The live entry under `key`, as `{ value }` (so a stored `undefined`-like value is a hit). */
  get(key: string): { value: unknown } | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return { value: entry.value };
  }

  set(key: string, value: unknown, ttlMs: number): void {
    if (ttlMs <= 0) {
      this.entries.delete(key);
      return;
    }
    this.entries.set(key, { value, expiresAt: clock.now() + ttlMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
