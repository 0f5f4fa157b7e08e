export * from './errors.js';
export * from './options.js';
export { JwksCacheModule } from './jwks-cache.module.js';
export { JWKS_CACHE_CONFIG, JWKS_CACHE_OPTIONS } from './jwks-cache.module-definition.js';
export { CacheStore, STORE_KEY_PREFIX } from './store/cache-store.js';
export { JwksProvider } from './jwks/jwks-provider.js';
export { JwtGuard } from './guard/jwt-guard.js';
export { TokenCacheService } from './token-cache/token-cache-service.js';
export { JwksCacheEvents, type JwksCacheEventMap, type JwksCacheEventName } from './health/jwks-cache-events.js';
