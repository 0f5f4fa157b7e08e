import type { JWTHeaderParameters } from 'jose';
import type { JwtClaimsPayload } from '../config/options.js';

/** The result of a successful verification. Frozen: it may be shared by every holder of the token. */
export interface VerifiedToken {
  /** The verified claims. */
  readonly payload: JwtClaimsPayload;
  /** The protected header the token was signed with. */
  readonly protectedHeader: JWTHeaderParameters;
  /** The configured issuer that vouched for it (equal to `payload.iss`). */
  readonly issuer: string;
}
