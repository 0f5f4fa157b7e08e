import { importJWK, type CryptoKey } from 'jose';
import { LRUCache } from 'lru-cache';
import type { UsableKey } from './key-set.js';

/** What verifies a signature: a `CryptoKey`, or the secret bytes of an `oct` key. */
export type VerificationKey = CryptoKey | Uint8Array;

/**
 * A bounded LRU of imported keys by RFC 7638 thumbprint + alg. Keyed by the key material rather
 * than by object identity, so it hits even when the JWK was parsed again (from a shared store,
 * after a refresh that kept the key). Concurrent imports of one key are coalesced.
 */
export class ImportedKeyCache {
  private readonly keys: LRUCache<string, VerificationKey>;
  private readonly pending = new Map<string, Promise<VerificationKey>>();

  /** @param maxSize bound on the imported keys kept (`jwks.importedKeyCacheSize`). */
  constructor(maxSize: number) {
    this.keys = new LRUCache({ max: maxSize });
  }

  /** The imported key, or `undefined` when it has not been imported yet (no allocation, no await). */
  peek(key: UsableKey, alg: string): VerificationKey | undefined {
    return this.keys.get(cacheKey(key, alg));
  }

  /** The imported key, importing it once when needed. Rejects when the JWK cannot be imported. */
  async get(key: UsableKey, alg: string): Promise<VerificationKey> {
    const id = cacheKey(key, alg);
    const cached = this.keys.get(id);
    if (cached !== undefined) return cached;
    let importing = this.pending.get(id);
    if (importing === undefined) {
      importing = this.importOnce(id, key, alg);
      this.pending.set(id, importing);
    }
    return importing;
  }

  /** How many imported keys are cached. */
  get size(): number {
    return this.keys.size;
  }

  private async importOnce(id: string, key: UsableKey, alg: string): Promise<VerificationKey> {
    try {
      // key_ops is dropped so the key is imported for 'verify' only, whatever else the JWK lists.
      const { key_ops: _ignored, ...jwk } = key.jwk;
      const imported = await importJWK({ ...jwk }, alg);
      this.keys.set(id, imported);
      return imported;
    } finally {
      this.pending.delete(id);
    }
  }
}

function cacheKey(key: UsableKey, alg: string): string {
  return `${key.thumbprint}:${alg}`;
}
