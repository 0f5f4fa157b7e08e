import type { FetchInput } from './bearer-request.js';
import { bearerRequest } from './bearer-request.js';
import type { TokenSlot } from './token-slot.js';
import type { DpopProofSigner } from '../dpop/dpop-proof-signer.js';

/** Which token `TokenCacheService.fetch()` attaches. */
export interface TokenFetchOptions {
  /** The token name. @default 'default' */
  token?: string;
  /** The tenant, for sources with per-tenant settings or tokens. @default undefined */
  tenant?: string;
}

/** What the authorized fetch needs from the token cache. */
export interface TokenAccess {
  ensureToken(name: string, tenant: string | undefined): Promise<string>;
  slotFor(name: string, tenant: string | undefined): TokenSlot;
  drop(slot: TokenSlot): Promise<void>;
  /** The DPoP proof signer of the source `name`, when it has `dpop`. */
  dpopSigner(name: string): DpopProofSigner | undefined;
}

/**
 * `fetch` with `Authorization: Bearer <token>` (for a source with `dpop`: `Authorization: DPoP
 * <token>` and a fresh proof per send, and one retry with the server's nonce on `use_dpop_nonce`). On a 401, the token is invalidated and the
 * request is sent once more with a new token; the second answer is returned as it is. At most
 * once per token: a 401 with a token obtained for such a retry is returned without invalidating. A string,
 * `URLSearchParams`, `ArrayBuffer`, typed-array, `Blob` or `FormData` body (or a `Request`
 * input) is resent; a `ReadableStream` body cannot be, so then the 401 is returned (after the
 * invalidation).
 */
export async function authorizedFetch(
  tokens: TokenAccess,
  input: FetchInput,
  init: RequestInit | undefined,
  options: TokenFetchOptions,
): Promise<Response> {
  const name = options.token ?? 'default';
  const dpop = tokens.dpopSigner(name);
  const request = bearerRequest(input, init, dpop);
  const token = await tokens.ensureToken(name, options.tenant);
  let response = await request.send(token);
  // RFC 9449 §9: a resource server asking for its nonce gets one retry with it, same token.
  if (dpop !== undefined && dpop.noteAnswer(request.url, response) && request.replayable) {
    await response.body?.cancel();
    response = await request.send(token);
    dpop.noteAnswer(request.url, response);
  }
  if (response.status !== 401) return response;
  const slot = tokens.slotFor(name, options.tenant);
  if (!(await invalidateRejected(tokens, slot, token))) return response;
  if (!request.replayable) return response;
  await response.body?.cancel();
  return request.send(await tokenForRetry(tokens, slot));
}

/**
 * After a 401 (or a transport's `UNAUTHENTICATED`) answered to `rejectedToken`: drops it, once per
 * token, and says whether to retry. `false` when `rejectedToken` was itself obtained by
 * {@link tokenForRetry}: the refusal is then the downstream's answer, not the token's fault, and
 * nothing is dropped (against a downstream that refuses every token, one extra token request in all).
 */
export async function invalidateRejected(
  tokens: TokenAccess,
  slot: TokenSlot,
  rejectedToken: string,
): Promise<boolean> {
  if (rejectedToken === slot.state.retriedAfter401) return false;
  await dropAfter401(tokens, slot, rejectedToken);
  return true;
}

/** The token to resend with after {@link invalidateRejected}, remembered as a retry's token. */
export async function tokenForRetry(tokens: TokenAccess, slot: TokenSlot): Promise<string> {
  const retryToken = await tokens.ensureToken(slot.name, slot.tenant);
  slot.state.retriedAfter401 = retryToken;
  return retryToken;
}

/**
 * After a 401: drop the token, once per token, unless a concurrent caller has replaced or
 * dropped it already (which would delete the fleet's shared entry once more per caller).
 */
async function dropAfter401(tokens: TokenAccess, slot: TokenSlot, rejectedToken: string): Promise<void> {
  const { state } = slot;
  if (state.invalidatedAfter401 === rejectedToken) return;
  if (state.entry !== undefined && state.entry.token !== rejectedToken) return;
  state.invalidatedAfter401 = rejectedToken;
  await tokens.drop(slot);
}
