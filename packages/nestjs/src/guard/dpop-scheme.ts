import type { ExecutionContext } from '@nestjs/common';
import type { VerifyOverrides } from '../config/options.js';
import { requestUrl } from '../dpop/htu.js';
import type { JwksProvider, VerifiedToken } from '../jwks/jwks-provider.js';
import { DPOP_NONCE_HEADER } from './dpop-rejection.js';
import type { RequestWithHeaders } from './extract-bearer-token.js';
import { setHttpHeader } from './set-challenge-header.js';

/** Whether the request's `Authorization` uses the DPoP scheme (RFC 9449 §7.1). */
export function usesDpopScheme(request: RequestWithHeaders | undefined): boolean {
  const value = request?.headers?.authorization;
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && /^dpop(?: |$)/i.test(first);
}

/**
 * `Authorization: DPoP` on HTTP: verifies the token, its proof (against this request's method and
 * URL, the URL's origin from `guard.publicUrl` when set) and the binding, and sets the
 * `DPoP-Nonce` header the verification asks for.
 */
export async function verifyDpopRequest(
  provider: JwksProvider,
  context: ExecutionContext,
  request: RequestWithHeaders & { method?: string },
  publicUrl: string | undefined,
  overrides: VerifyOverrides | undefined,
): Promise<VerifiedToken> {
  const url = requestUrl(request, publicUrl) ?? '';
  const verified = await provider.verifyRequest(
    { method: request.method ?? '', url, headers: request.headers ?? {} },
    overrides,
  );
  if (verified.nonce !== undefined) setHttpHeader(context, DPOP_NONCE_HEADER, verified.nonce);
  return verified;
}
