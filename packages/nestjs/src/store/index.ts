/**
 * `@jwks-cache/nestjs/store`: the cache-manager layer the module reads and writes through, for
 * code that shares it (a custom key-set or token store, a test that inspects entries). Most apps
 * never need it: `JwksCacheModule`'s `stores`, `integrityKey` and `encryptionKey` configure it.
 * Its fleet-wide lock (`lock`, `unlock`, `withLock`, `waitFor`) is the one key sets and tokens use.
 */
export { CacheStore } from './cache-store.js';
export { STORE_KEY_PREFIX, type StoreEntryKind } from './store-keys.js';
export type {
  ClaimOutcome,
  LockOutcome,
  StoreGetOptions,
  StoreSharingOptions,
  StoreStats,
  WaitForOptions,
} from './store-types.js';
