import type { JwksCacheModuleOptions } from './options.js';
import { checkFunction, describe, fail } from './option-checks.js';

/** The guard's user mapping, roles and request context; `tenantFrom` of token sources needs the context. */
export function validateGuard(options: JwksCacheModuleOptions): void {
  const guard = options.guard!;
  checkFunction(guard.mapUser, 'guard.mapUser');
  checkFunction(guard.tenantFrom, 'guard.tenantFrom');
  if (guard.rolesClaim !== undefined && (typeof guard.rolesClaim !== 'string' || guard.rolesClaim.length === 0))
    fail('guard.rolesClaim', 'must be a non-empty claim name or dot path');
  if (guard.context !== undefined && typeof guard.context !== 'boolean')
    fail('guard.context', `must be a boolean, not ${describe(guard.context)}`);
  if (guard.context !== false) return;
  if (options.tokenDefaults?.tenantFrom !== undefined)
    fail('tokenDefaults.tenantFrom', 'needs the request context, which guard.context: false turns off');
  for (const [name, source] of Object.entries(options.tokens ?? {})) {
    if (source.tenantFrom !== undefined)
      fail(`tokens.${name}.tenantFrom`, 'needs the request context, which guard.context: false turns off');
  }
}
