/**
 * `@jwks-cache/nestjs/discovery`: the module's OIDC / RFC 8414 discovery (cached, bounded,
 * issuer-checked), for code that needs an issuer's metadata as the module sees it. `JwksProvider`
 * (JWKS URI) and `TokenCacheService` (token endpoint) use it by themselves.
 */
export { OidcDiscovery, type DiscoveryDocument } from './oidc-discovery.js';
