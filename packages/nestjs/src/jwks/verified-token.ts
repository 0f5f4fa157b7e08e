import type { JWTHeaderParameters } from 'jose';
import type { JwtClaimsPayload, TenantParams } from '../config/options.js';

/** The result of a successful verification. Frozen: it may be shared by every holder of the token. */
export interface VerifiedToken {
  /** The verified claims. */
  readonly payload: JwtClaimsPayload;
  /** The protected header the token was signed with. */
  readonly protectedHeader: JWTHeaderParameters;
  /** The configured issuer (or the issuer an issuer template made) that vouched for it (equal to `payload.iss`). */
  readonly issuer: string;
  /** The placeholder values when an issuer template matched `iss` (e.g. `{ tenant: 'acme' }`); `{}` for a configured issuer. */
  readonly params: TenantParams;
}
