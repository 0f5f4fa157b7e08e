import 'reflect-metadata';
import type { DynamicModule, Provider, Type } from '@nestjs/common';
import { JWKS_CACHE_OPTIONS, JwksCacheModule, type JwksCacheModuleOptions } from '@jwks-cache/nestjs';

/**
 * The options a module passes to `JwksCacheModule.forRoot(...)` in its `imports`, so a test can run
 * an app written for a real identity provider against a local one, with
 * `Test.createTestingModule(...).overrideProvider(JWKS_CACHE_OPTIONS).useValue(...)`.
 */
export function forRootOptions(moduleClass: Type): JwksCacheModuleOptions {
  const imports = (Reflect.getMetadata('imports', moduleClass) ?? []) as unknown[];
  for (const entry of imports) {
    const dynamic = entry as Partial<DynamicModule>;
    if (dynamic.module !== JwksCacheModule) continue;
    const provider = (dynamic.providers ?? []).find(
      (candidate: Provider) => (candidate as { provide?: unknown }).provide === JWKS_CACHE_OPTIONS,
    );
    if (provider !== undefined) return (provider as { useValue: JwksCacheModuleOptions }).useValue;
  }
  throw new Error(`${moduleClass.name} does not import JwksCacheModule.forRoot(...)`);
}
