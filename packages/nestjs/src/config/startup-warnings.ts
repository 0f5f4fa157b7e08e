import { isIssuerTemplate } from '../jwks/issuer-template.js';
import type { JwksCacheModuleOptions } from './options.js';

/**
 * Configurations that work but are weaker than they look, one line each. `JwksCacheModule` logs
 * them once, when it starts. They name options and issuers only, never a key or a secret.
 */
export function startupWarnings(options: JwksCacheModuleOptions): string[] {
  const warnings: string[] = [];
  if (options.stores !== undefined && options.integrityKey === undefined) {
    warnings.push(
      'stores is set without integrityKey: anyone who can write to the shared store can plant entries this ' +
        'instance reads (a well-formed public key set of their own, a token), so a writable store can make it ' +
        'trust their tokens. Set integrityKey (make one with `openssl rand -base64 32`) unless only this application can write there',
    );
  }
  (options.issuers ?? []).forEach((issuer, i) => {
    if (isIssuerTemplate(issuer.issuer) && issuer.tenants === undefined) {
      warnings.push(
        `issuers[${i}] (${issuer.issuer}) is an issuer template without tenants: a token of any tenant the identity provider ` +
          "vouches for is accepted (with a shared key set such as Entra ID's common keys, any of its tenants). Set tenants to your allow-list",
      );
    }
    if (issuer.audience === undefined) {
      warnings.push(
        `issuers[${i}] (${issuer.issuer}) sets no audience: every token it signs is accepted, whichever client or API ` +
          'it was issued for. Set audience to the identifier of this API',
      );
    }
  });
  const explicitDpop = (options.issuers ?? []).some(
    (issuer) =>
      issuer.dpop !== undefined &&
      issuer.dpop !== 'off' &&
      (typeof issuer.dpop !== 'object' || issuer.dpop.mode !== 'off'),
  );
  if (explicitDpop && options.stores !== undefined && !hasRedisTier(options.stores)) {
    warnings.push(
      'DPoP is configured and stores has no Redis tier: the jti replay cache is per instance, so a proof replayed ' +
        'to another instance passes there. Use a @keyv/redis store to share it across the fleet',
    );
  }
  return warnings;
}

/** Whether one of the stores is a `@keyv/redis` adapter (the one that can `SET NX PX`). */
function hasRedisTier(stores: NonNullable<JwksCacheModuleOptions['stores']>): boolean {
  const tiers = Array.isArray(stores) ? stores : ((stores as { stores?: unknown[] }).stores ?? []);
  return tiers.some((tier) => {
    const adapter = (tier as { store?: { client?: { set?: unknown }; getClient?: unknown } }).store;
    return typeof adapter?.getClient === 'function' && typeof adapter.client?.set === 'function';
  });
}
