import { importJWK, type CryptoKey, type JWK } from 'jose';
import { LRUCache } from 'lru-cache';
import { isCryptoKey } from 'node:util/types';
import { SingleFlight } from '../internal/single-flight.js';
import type { UsableKey } from './key-set.js';

/** What verifies a signature: a `CryptoKey`, or the secret bytes of an `oct` key. */
export type VerificationKey = CryptoKey | Uint8Array;

/** Which key an imported-key cache entry is for: the public JWK and its RFC 7638 SHA-256 thumbprint. */
export interface ImportedKeyCacheKey {
  readonly jwk: Readonly<JWK>;
  readonly thumbprint: string;
}

/**
 * A replacement for the imported-key cache (`jwks.importedKeyCache`), after unjwt's JWK cache.
 * Entries are process-local objects (a `CryptoKey` cannot be serialised), so `get` is
 * **synchronous**: it runs on every verification the verified-token cache misses, and a promise
 * there would cost every one of them a microtask turn. Key entries by `key.thumbprint` + `alg`
 * (the JWK is parsed again after each refresh; its thumbprint stays).
 */
export interface ImportedKeyCacheAdapter {
  /** The key imported earlier for `key` and `alg`, or `undefined`. A returned promise or any other value counts as a miss. */
  get(key: ImportedKeyCacheKey, alg: string): VerificationKey | undefined;
  /** Called once per import: keep `imported` for `key` and `alg` (evicting as the adapter likes). */
  set(key: ImportedKeyCacheKey, alg: string, imported: VerificationKey): void;
  /** Optional: drop one entry (`clearImportedKeys()` uses it, for the current keys, when there is no `clear`). */
  delete?(key: ImportedKeyCacheKey, alg: string): void;
  /** Optional: drop every entry (`clearImportedKeys()`). */
  clear?(): void;
  /** Optional: how many entries it holds, reported by `JwksProvider.stats().importedKeys.size` (else `0`). */
  readonly size?: number;
}

/**
 * Imported keys by RFC 7638 thumbprint + alg: by default a bounded LRU, or the configured
 * {@link ImportedKeyCacheAdapter}, or none (`false`: every use imports). Keyed by the key
 * material rather than by object identity, so it hits even when the JWK was parsed again (from
 * a shared store, after a refresh that kept the key). Concurrent imports of one key are coalesced
 * (except with `false`).
 */
export class ImportedKeyCache {
  /** The default, read directly on the hot path (no adapter call in between). */
  private readonly lru: LRUCache<string, VerificationKey> | undefined;
  /** Where imported keys go: the LRU behind an adapter face, a checked user adapter, or none (`false`). */
  private readonly entries: ImportedKeyCacheAdapter | undefined;
  private readonly pending = new SingleFlight<string, VerificationKey>();
  /** Bumped by {@link clear}: an import started before it does not fill the cache after it. */
  private generation = 0;

  /**
   * @param maxSize bound of the default LRU (`jwks.importedKeyCacheSize`).
   * @param replacement `jwks.importedKeyCache`: an adapter, `false` for none, `undefined` for the LRU.
   */
  constructor(maxSize: number, replacement?: ImportedKeyCacheAdapter | false) {
    if (replacement === undefined) {
      const lru = new LRUCache<string, VerificationKey>({ max: maxSize });
      this.lru = lru;
      this.entries = lruAdapter(lru);
    } else {
      this.entries = replacement === false ? undefined : new CheckedAdapter(replacement);
    }
  }

  /** The imported key, or `undefined` when it has not been imported yet (no allocation, no await). */
  peek(key: UsableKey, alg: string): VerificationKey | undefined {
    const lru = this.lru;
    return lru !== undefined ? lru.get(cacheKey(key, alg)) : this.entries?.get(key, alg);
  }

  /** The imported key, importing it once when needed. Rejects when the JWK cannot be imported. */
  async get(key: UsableKey, alg: string): Promise<VerificationKey> {
    const entries = this.entries;
    if (entries === undefined) return importVerificationKey(key, alg);
    const cached = entries.get(key, alg);
    if (cached !== undefined) return cached;
    return this.pending.run(cacheKey(key, alg), () => this.importOnce(entries, key, alg));
  }

  /**
   * Empties the cache: the LRU, or the adapter through its `clear` — without one, its `delete`
   * for each of `currentKeys` × `algs` (what a provider can still ask for). Without either, an
   * adapter is left as it is. Imports under way are not cached.
   */
  clear(currentKeys: Iterable<{ key: UsableKey; algs: Iterable<string> }>): void {
    this.generation++;
    this.pending.forget();
    const entries = this.entries;
    if (entries?.clear !== undefined) entries.clear();
    else if (entries?.delete !== undefined)
      for (const { key, algs } of currentKeys) for (const alg of algs) entries.delete(key, alg);
  }

  /** How many imported keys are cached (an adapter's own `size`, else `0`). */
  get size(): number {
    return this.entries?.size ?? 0;
  }

  private async importOnce(entries: ImportedKeyCacheAdapter, key: UsableKey, alg: string): Promise<VerificationKey> {
    const generation = this.generation;
    const imported = await importVerificationKey(key, alg);
    if (generation === this.generation) entries.set(key, alg, imported);
    return imported;
  }
}

function cacheKey(key: ImportedKeyCacheKey, alg: string): string {
  return `${key.thumbprint}:${alg}`;
}

async function importVerificationKey(key: UsableKey, alg: string): Promise<VerificationKey> {
  // key_ops is dropped so the key is imported for 'verify' only, whatever else the JWK lists.
  const { key_ops: _ignored, ...jwk } = key.jwk;
  return importJWK({ ...jwk }, alg);
}

/** The default LRU by thumbprint + alg, behind the adapter face (for `get` / `clear` / `size`). */
function lruAdapter(lru: LRUCache<string, VerificationKey>): ImportedKeyCacheAdapter {
  return {
    get: (key, alg) => lru.get(cacheKey(key, alg)),
    set: (key, alg, imported) => void lru.set(cacheKey(key, alg), imported),
    clear: () => lru.clear(),
    get size() {
      return lru.size;
    },
  };
}

/**
 * A user's adapter, held to its contract: what `get` returns is used only when it is a
 * `CryptoKey` or bytes (a promise, from an adapter written async, is a miss and the key is
 * imported), and a `size` that is not a count reads as `0`.
 */
class CheckedAdapter implements ImportedKeyCacheAdapter {
  constructor(private readonly adapter: ImportedKeyCacheAdapter) {}

  get(key: ImportedKeyCacheKey, alg: string): VerificationKey | undefined {
    const found: unknown = this.adapter.get(key, alg);
    return found instanceof Uint8Array || isCryptoKey(found) ? found : undefined;
  }

  set(key: ImportedKeyCacheKey, alg: string, imported: VerificationKey): void {
    this.adapter.set(key, alg, imported);
  }

  get delete(): ((key: ImportedKeyCacheKey, alg: string) => void) | undefined {
    return this.adapter.delete?.bind(this.adapter);
  }

  get clear(): (() => void) | undefined {
    return this.adapter.clear?.bind(this.adapter);
  }

  get size(): number {
    const size = this.adapter.size;
    return typeof size === 'number' && Number.isInteger(size) && size >= 0 ? size : 0;
  }
}
