import { BodyTooLargeError, RedirectRefusedError } from '../errors.js';

/** The limits of one bounded request. */
export interface BoundedFetchOptions {
  /** Method, headers and body of the request (`redirect` and `signal` are set here). */
  readonly init?: Omit<RequestInit, 'redirect' | 'signal'>;
  /** Aborts the whole request, body included. */
  readonly signal: AbortSignal;
  /**
   * Redirects followed, each only to the origin of the first URL (a redirect elsewhere could hand
   * over what an attacker controls); `0` refuses every redirect before it is followed.
   */
  readonly maxRedirects: number;
}

/**
 * `fetch` without following what it should not: at most `maxRedirects` redirects, all on the
 * origin of `url` (with `0`, fetch's own `redirect: 'error'`: nothing is resent anywhere). Throws a
 * {@link RedirectRefusedError} for a redirect it does not follow; a redirect's body is cancelled.
 */
export async function boundedFetch(url: string, options: BoundedFetchOptions): Promise<Response> {
  const { init, signal, maxRedirects } = options;
  if (maxRedirects === 0) return fetch(url, { ...init, redirect: 'error', signal });
  const origin = new URL(url).origin;
  let current = url;
  for (let redirects = 0; ; redirects++) {
    const response = await fetch(current, { ...init, redirect: 'manual', signal });
    if (response.status < 300 || response.status >= 400) return response;
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (location === null) throw new RedirectRefusedError('no-location', response.status);
    if (redirects >= maxRedirects) throw new RedirectRefusedError('too-many', response.status);
    const next = new URL(location, current);
    if (next.origin !== origin) throw new RedirectRefusedError('other-origin', response.status);
    current = next.href;
  }
}

/**
 * Reads a body of at most `maxBytes` bytes as UTF-8: refused from `content-length` before reading,
 * and while streaming, so a lying or absent length cannot make it buffer more. A larger body is
 * cancelled and a {@link BodyTooLargeError} thrown.
 */
export async function readBoundedText(response: Response, maxBytes: number): Promise<string> {
  if (Number(response.headers.get('content-length') ?? Number.NaN) > maxBytes) {
    await response.body?.cancel();
    throw new BodyTooLargeError(maxBytes);
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    received += read.value.byteLength;
    if (received > maxBytes) {
      await reader.cancel();
      throw new BodyTooLargeError(maxBytes);
    }
    chunks.push(read.value);
  }
  return Buffer.concat(chunks, received).toString('utf8');
}
