import { Inject, Injectable } from '@nestjs/common';
import { createCache, type Cache } from 'cache-manager';
import { createHash } from 'node:crypto';
import { Keyv } from 'keyv';
import { JWKS_CACHE_CONFIG } from '../jwks-cache.module-definition.js';
import type { JwksCacheModuleOptions } from '../options.js';

/** The fixed, readable prefix of every key this library writes (lets Redis ACLs scope it). */
export const STORE_KEY_PREFIX = 'jwks-cache:v1:';

/** What is stored: key sets, discovery documents and outbound tokens. */
export type StoreEntryKind = 'jwks' | 'discovery' | 'token';

/**
 * The cache-manager layer every other part reads and writes through. Keys are
 * `jwks-cache:v1:<kind>:<sha256 of the variable part>`, so no URL, tenant or client id appears
 * in the store in clear. TTLs are in milliseconds.
 */
@Injectable()
export class CacheStore {
  private readonly cache: Cache;

  constructor(@Inject(JWKS_CACHE_CONFIG) options: JwksCacheModuleOptions) {
    this.cache = toCache(options.stores);
  }

  /** The store key for an entry of `kind` identified by `parts` (hashed). */
  static key(kind: StoreEntryKind, ...parts: string[]): string {
    const digest = createHash('sha256').update(parts.join('\u0000')).digest('base64url');
    return `${STORE_KEY_PREFIX}${kind}:${digest}`;
  }

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.cache.get<T>(key)) ?? undefined;
  }

  async set<T>(key: string, value: T, ttl: number): Promise<void> {
    await this.cache.set(key, value, Math.max(1, Math.ceil(ttl)));
  }

  async delete(key: string): Promise<void> {
    await this.cache.del(key);
  }
}

function toCache(stores: JwksCacheModuleOptions['stores']): Cache {
  if (stores === undefined) return createCache({ stores: [new Keyv()] });
  if (Array.isArray(stores)) return createCache({ stores: stores.length > 0 ? stores : [new Keyv()] });
  return stores;
}
