import type { JwksCacheModuleOptions } from '../config/options.js';
import { resolveConfig } from '../config/resolve-config.js';
import { DpopSchemeError } from '../errors.js';
import { IssuerTemplate, isIssuerTemplate } from '../jwks/issuer-template.js';
import type { VerifiedToken } from '../jwks/verified-token.js';

/**
 * Whether a verified token may be used as a bearer token (RFC 9449 §7.1): not when it is bound
 * to a key (`cnf`), and not when its issuer's `dpop` is `'required'` (a configured issuer's own
 * setting, else that of the template that made it). Pure configuration: it needs neither the store
 * nor the module, so `JwksStrategy` built outside `JwksCacheModule` keeps the same rule.
 */
export class BearerPolicy {
  private readonly required = new Map<string, boolean>();
  private readonly templates: { template: IssuerTemplate; required: boolean }[] = [];

  constructor(options: JwksCacheModuleOptions) {
    for (const [issuer, settings] of Object.entries(resolveConfig(options).dpop.issuers)) {
      const required = settings.mode === 'required';
      // Templates were checked at start (validate-template-options.ts): parse() does not throw here.
      if (isIssuerTemplate(issuer))
        this.templates.push({ template: IssuerTemplate.parse(issuer, 'issuers[].issuer'), required });
      else this.required.set(issuer, required);
    }
  }

  /** {@link assert} as a test, for the verified-token cache's fast path. */
  accepts(verified: VerifiedToken): boolean {
    if (verified.payload.cnf !== undefined) return false;
    return !this.requiresDpop(verified.issuer);
  }

  /**
   * Refuses a token presented as a bearer token when it is bound to a key, or when its issuer
   * requires DPoP.
   * @throws {DpopSchemeError}
   */
  assert(verified: VerifiedToken): void {
    if (this.accepts(verified)) return;
    throw new DpopSchemeError(
      verified.payload.cnf === undefined
        ? 'The issuer requires DPoP: a Bearer token is refused'
        : 'The token is bound to a key (cnf.jkt): it must be presented with DPoP',
    );
  }

  private requiresDpop(issuer: string): boolean {
    const configured = this.required.get(issuer);
    if (configured !== undefined) return configured;
    for (const { template, required } of this.templates) if (template.match(issuer) !== undefined) return required;
    return false;
  }
}
