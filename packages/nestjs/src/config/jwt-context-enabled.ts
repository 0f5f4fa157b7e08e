import type { JwksCacheModuleOptions } from './options.js';

/**
 * Whether `JwtGuard`'s requests get a `JwtContext`: `guard.context` when set, otherwise only when
 * something reads it (`guard.tenantFrom`, `tokenDefaults.tenantFrom` or a token source's
 * `tenantFrom`). Off by default because the context is not free: a global interceptor on every
 * route (Nest's interceptor pipeline) and AsyncLocalStorage, which on Node 20 installs promise
 * hooks for the whole process — in the HTTP benchmark it took Fastify from ~0.8× to ~0.35× the
 * floor guard.
 */
export function jwtContextEnabled(options: JwksCacheModuleOptions): boolean {
  const configured = options.guard?.context;
  if (configured !== undefined) return configured;
  if (options.guard?.tenantFrom !== undefined || options.tokenDefaults?.tenantFrom !== undefined) return true;
  return Object.values(options.tokens ?? {}).some((source) => source.tenantFrom !== undefined);
}
