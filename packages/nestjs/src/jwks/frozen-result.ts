import type { JWTHeaderParameters } from 'jose';
import type { JwtClaimsPayload, TenantParams } from '../config/options.js';
import type { VerifiedToken } from './verified-token.js';
import { deepFreeze } from '../internal/deep-freeze.js';

/**
 * The result of a verification, frozen at every depth: it may be shared by every request that
 * presents the same token (through the verified-token cache), so none may change it for the others.
 */
export function freezeResult(
  payload: JwtClaimsPayload,
  protectedHeader: JWTHeaderParameters,
  issuer: string,
  params: TenantParams,
): VerifiedToken {
  return Object.freeze({ payload: deepFreeze(payload), protectedHeader: deepFreeze(protectedHeader), issuer, params });
}
