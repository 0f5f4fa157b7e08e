import { JwtContextMissingError } from '../errors.js';
import { currentClaims, tenantFromClaims } from '../internal/jwt-context-storage.js';
import type { JwtClaimsPayload } from '../config/options.js';

/**
 * The tenant of a call that gave none, for a source with `tenantFrom`: from the claims of the
 * request being served (`JwtContext`).
 * @throws JwtContextMissingError outside a request admitted by `JwtGuard`: falling back to the
 *   no-tenant token there could hand one tenant's downstream calls another's token.
 * @throws TypeError when `tenantFrom` gives anything but a string or `undefined`.
 */
export function contextTenant(
  tenantFrom: (claims: JwtClaimsPayload) => string | undefined,
  name: string,
): string | undefined {
  const claims = currentClaims();
  if (claims === undefined) {
    throw new JwtContextMissingError(
      `Token source "${name}" takes its tenant from the request (tenantFrom), but no request admitted by JwtGuard is being served here: pass the tenant explicitly`,
    );
  }
  return tenantFromClaims(tenantFrom, claims, `tokens.${name}.tenantFrom`);
}
