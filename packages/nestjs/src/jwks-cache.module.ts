import { Logger, Module } from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import {
  JWKS_CACHE_CONFIG,
  JWKS_CACHE_OPTIONS,
  JWKS_CACHE_RESOLVED_CONFIG,
  JwksCacheConfigurableModule,
} from './jwks-cache.module-definition.js';
import type { JwksCacheModuleOptions } from './config/options.js';
import { validateOptions } from './config/validate-options.js';
import { resolveConfig, type ResolvedConfig } from './config/resolve-config.js';
import { startupWarnings } from './config/startup-warnings.js';
import { CacheStore } from './store/cache-store.js';
import { JwksProvider } from './jwks/jwks-provider.js';
import { OidcDiscovery } from './discovery/oidc-discovery.js';
import { DpopRequestVerifier } from './dpop/dpop-request-verifier.js';
import { JwtGuard } from './guard/jwt-guard.js';
import { JwtVerifyCheck } from './guard/jwt-verify-check.js';
import { JwtContext } from './guard/jwt-context.js';
import { JwtContextInterceptor } from './guard/jwt-context-interceptor.js';
import { TokenCacheService } from './token-cache/token-cache-service.js';
import { JwksCacheEvents } from './observability/jwks-cache-events.js';
import { JwksEventLogger } from './observability/jwks-event-logger.js';

/**
 * Runs once per module start: refuses wrong options, warns once of weak ones, and makes the one
 * frozen, fully-defaulted configuration the services read (`resolveConfig`).
 */
function validatedConfig(options: JwksCacheModuleOptions): JwksCacheModuleOptions {
  validateOptions(options);
  const logger = new Logger('JwksCacheModule');
  for (const warning of startupWarnings(options)) logger.warn(warning);
  resolveConfig(options);
  return options;
}

/**
 * The module: `JwksCacheModule.forRoot(options)` or `JwksCacheModule.forRootAsync({ imports,
 * inject, useFactory, isGlobal })`. Provides and exports `JwksProvider`, `DpopRequestVerifier`,
 * `JwtGuard`, `JwtContext` and `TokenCacheService`; registers `JwtContextInterceptor` as a global interceptor when the
 * request context is on (`guard.context`; by default only when a `tenantFrom` needs it).
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: JWKS_CACHE_CONFIG, inject: [JWKS_CACHE_OPTIONS], useFactory: validatedConfig },
    { provide: JWKS_CACHE_RESOLVED_CONFIG, inject: [JWKS_CACHE_CONFIG], useFactory: resolveConfig },
    JwksCacheEvents,
    CacheStore,
    OidcDiscovery,
    JwksProvider,
    DpopRequestVerifier,
    JwtGuard,
    JwtVerifyCheck,
    JwtContext,
    // Only when the context is on: a global interceptor costs every route (a factory returning
    // nothing adds none; Nest skips it).
    {
      provide: APP_INTERCEPTOR,
      inject: [JWKS_CACHE_RESOLVED_CONFIG],
      useFactory: (config: ResolvedConfig) => (config.jwtContext ? new JwtContextInterceptor(config) : undefined),
    },
    TokenCacheService,
    JwksEventLogger,
  ],
  exports: [
    JWKS_CACHE_CONFIG,
    JWKS_CACHE_RESOLVED_CONFIG,
    JwksCacheEvents,
    CacheStore,
    OidcDiscovery,
    JwksProvider,
    DpopRequestVerifier,
    JwtGuard,
    JwtContext,
    TokenCacheService,
  ],
})
export class JwksCacheModule extends JwksCacheConfigurableModule {}
