/** What `fetch` takes as its first argument. */
export type FetchInput = string | URL | Request;

/**
 * One outgoing request that may be sent twice (with a new token after a 401), so its body must
 * survive the first send.
 */
export interface BearerRequest {
  /** Whether the request can be sent again: false for a stream body, which is consumed by the first send. */
  readonly replayable: boolean;
  /** Sends the request with `Authorization: Bearer <token>`. */
  send(token: string): Promise<Response>;
}

/**
 * Prepares `fetch(input, init)` for sending with a bearer token. A `Request` input is cloned for
 * every send (the original is never consumed); a string, `URLSearchParams`, `ArrayBuffer`, typed
 * array, `Blob` or `FormData` body is kept as it is, since `fetch` reads those without consuming
 * them; a `ReadableStream` body can be sent once only.
 */
export function bearerRequest(input: FetchInput, init: RequestInit | undefined): BearerRequest {
  const baseHeaders = init?.headers ?? (input instanceof Request ? input.headers : undefined);
  return {
    replayable: isReplayable(input, init),
    send(token: string): Promise<Response> {
      const headers = new Headers(baseHeaders);
      headers.set('authorization', `Bearer ${token}`);
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
