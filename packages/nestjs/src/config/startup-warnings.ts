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
          'vouches for is accepted (with a shared key set such as Entra ID\'s common keys, any of its tenants). Set tenants to your allow-list',
      );
    }
    if (issuer.audience === undefined) {
      warnings.push(
        `issuers[${i}] (${issuer.issuer}) sets no audience: every token it signs is accepted, whichever client or API ` +
          'it was issued for. Set audience to the identifier of this API',
      );
    }
  });
  return warnings;
}
