import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { JwksCacheModuleOptions } from './config/options.js';

/**
 * The dynamic-module plumbing of `JwksCacheModule`, built the way `@nestjs/throttler` and
 * `@nestjs/cache-manager` build theirs: `forRoot(options)` / `forRootAsync({ useFactory, … })`,
 * plus the `isGlobal` extra.
 */
export const {
  ConfigurableModuleClass: JwksCacheConfigurableModule,
  MODULE_OPTIONS_TOKEN: JWKS_CACHE_OPTIONS,
  OPTIONS_TYPE: JWKS_CACHE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: JWKS_CACHE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<JwksCacheModuleOptions>({ moduleName: 'JwksCache' })
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

/**
 * The validated options. Every service injects this token rather than the raw options, so an
 * invalid configuration fails the application start with a `TypeError` naming the option, for
 * `forRoot` and `forRootAsync` alike.
 */
export const JWKS_CACHE_CONFIG = Symbol('JWKS_CACHE_CONFIG');

/**
 * The frozen, fully-defaulted configuration (`ResolvedConfig`), made once by the module from
 * the validated options. Services below `config/` inject it here instead of calling
 * `resolveConfig` themselves, so that their runtime dependencies point down the layout only.
 */
export const JWKS_CACHE_RESOLVED_CONFIG = Symbol('JWKS_CACHE_RESOLVED_CONFIG');
