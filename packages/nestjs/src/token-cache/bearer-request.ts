import type { DpopProofSigner } from '../dpop/dpop-proof-signer.js';

/** What `fetch` takes as its first argument. */
export type FetchInput = string | URL | Request;

/**
 * One outgoing request that may be sent twice (with a new token after a 401), so its body must
 * survive the first send.
 */
export interface BearerRequest {
  /** Whether the request can be sent again: false for a stream body, which is consumed by the first send. */
  readonly replayable: boolean;
  /** The request's URL. */
  readonly url: string;
  /** Sends the request with `Authorization: Bearer <token>` (with DPoP: `DPoP <token>` and a new proof). */
  send(token: string): Promise<Response>;
}

/**
 * Prepares `fetch(input, init)` for sending with a bearer token. A `Request` input is cloned for
 * every send (the original is never consumed); a string, `URLSearchParams`, `ArrayBuffer`, typed
 * array, `Blob` or `FormData` body is kept as it is, since `fetch` reads those without consuming
 * them; a `ReadableStream` body can be sent once only.
 */
export function bearerRequest(input: FetchInput, init: RequestInit | undefined, dpop?: DpopProofSigner): BearerRequest {
  const baseHeaders = init?.headers ?? (input instanceof Request ? input.headers : undefined);
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  const url = input instanceof Request ? input.url : String(input);
  return {
    replayable: isReplayable(input, init),
    url,
    async send(token: string): Promise<Response> {
      const headers = new Headers(baseHeaders);
      if (dpop === undefined) {
        headers.set('authorization', `Bearer ${token}`);
      } else {
        // RFC 9449 §7.1: the DPoP scheme, and a fresh proof of this very request (htm, htu, ath).
        headers.set('authorization', `DPoP ${token}`);
        headers.set('dpop', await dpop.proof({ method, url, accessToken: token }));
      }
      return fetch(input instanceof Request ? input.clone() : input, { ...init, headers });
    },
  };
}

function isReplayable(input: FetchInput, init: RequestInit | undefined): boolean {
  const body = init?.body;
  if (body === undefined || body === null) return !(input instanceof Request && input.bodyUsed);
  return (
    typeof body === 'string' ||
    body instanceof URLSearchParams ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof Blob ||
    body instanceof FormData
  );
}
