import { FetchError, FetchTimeoutError, InvalidResponseError, ResponseTooLargeError } from '../errors.js';

/** Limits of one JSON request to an issuer (JWKS or discovery document). */
export interface FetchJsonLimits {
  /** Timeout of the whole request, body included, in ms. */
  timeout: number;
  /** Largest accepted body, in bytes. */
  maxResponseBytes: number;
}

/** A parsed JSON response, with the freshness the server asked for. */
export interface FetchedJson {
  body: unknown;
  /** `Cache-Control: max-age` in ms, unclamped; `undefined` when the header has none. */
  maxAge: number | undefined;
}

/** Redirects followed, all on the origin of the first URL. */
const MAX_REDIRECTS = 3;

/**
 * GETs a JSON document from an issuer, defensively: a timeout covering the body, a byte limit
 * enforced while streaming (and from `content-length` up front), at most 3 redirects and only to
 * the same origin (a redirect elsewhere could hand over keys an attacker controls), and a JSON
 * `Content-Type` (`application/json`, `application/jwk-set+json` or any other `+json` type,
 * parameters such as `charset` allowed): an HTML error page or a file that happens to parse is
 * not a key set. Every failure is a typed `FetchError` (`InvalidResponseError` for a bad type).
 */
export async function fetchJson(url: string, limits: FetchJsonLimits): Promise<FetchedJson> {
  const signal = AbortSignal.timeout(limits.timeout);
  try {
    const response = await fetchFollowingSameOrigin(url, signal);
    await ensureJsonType(response, url);
    const text = await readBodyWithLimit(response, url, limits.maxResponseBytes);
    return { body: parseJson(text, url), maxAge: parseMaxAge(response.headers.get('cache-control')) };
  } catch (error) {
    throw toFetchError(error, url, signal);
  }
}

async function fetchFollowingSameOrigin(url: string, signal: AbortSignal): Promise<Response> {
  const origin = new URL(url).origin;
  let current = url;
  for (let redirects = 0; ; redirects++) {
    const response = await fetch(current, { redirect: 'manual', signal, headers: { accept: 'application/json' } });
    if (!isRedirect(response.status)) return ensureOk(response, url);
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (location === null) throw new FetchError(`Redirect without Location from ${url}`, url, { status: response.status });
    if (redirects >= MAX_REDIRECTS) throw new FetchError(`More than ${MAX_REDIRECTS} redirects from ${url}`, url, { status: response.status });
    const next = new URL(location, current);
    if (next.origin !== origin) throw new InvalidResponseError(`Redirect from ${url} to another origin refused`, url, { status: response.status });
    current = next.href;
  }
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

async function ensureOk(response: Response, url: string): Promise<Response> {
  if (response.ok) return response;
  await response.body?.cancel();
  throw new FetchError(`${url} answered HTTP ${response.status}`, url, { status: response.status });
}

/** `type/subtype` (no parameters): `application/json`, or a structured `+json` suffix (RFC 6839 §3.1). */
const JSON_MEDIA_TYPE = /^(?:application\/json|[a-z0-9][a-z0-9!#$&^_.-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*\+json)$/;

async function ensureJsonType(response: Response, url: string): Promise<void> {
  const header = response.headers.get('content-type');
  const mediaType = header?.split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType !== undefined && JSON_MEDIA_TYPE.test(mediaType)) return;
  await response.body?.cancel();
  // The type is the server's text: named only when it is short and plain, never echoed raw.
  const shown = mediaType !== undefined && /^[a-z0-9!#$&^_.+/-]{1,64}$/.test(mediaType) ? mediaType : header === null ? 'none' : 'unreadable';
  throw new InvalidResponseError(`Response of ${url} has content-type ${shown}, not JSON`, url, { status: response.status });
}

async function readBodyWithLimit(response: Response, url: string, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(url, maxBytes);
  }
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > maxBytes) {
      await reader.cancel();
      throw tooLarge(url, maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, received).toString('utf8');
}

function tooLarge(url: string, maxBytes: number): ResponseTooLargeError {
  return new ResponseTooLargeError(`Response of ${url} exceeds ${maxBytes} bytes`, url);
}

function parseJson(text: string, url: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidResponseError(`Response of ${url} is not JSON`, url);
  }
}

/** `max-age` of a `Cache-Control` header, in ms (`no-store` / `no-cache` count as 0). */
export function parseMaxAge(cacheControl: string | null): number | undefined {
  if (cacheControl === null) return undefined;
  if (/(?:^|,)\s*no-(?:store|cache)\s*(?:,|$)/i.test(cacheControl)) return 0;
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?:,|$)/i.exec(cacheControl);
  return match === null ? undefined : Number(match[1]) * 1000;
}

/**
 * How long a response stays fresh: its `max-age` clamped to `maxAgeBounds` wins; without one, the
 * configured `ttl` as given (tests set it to a second). In ms.
 */
export function freshnessFor(maxAge: number | undefined, settings: { ttl: number; maxAgeBounds: { min: number; max: number } }): number {
  const { ttl, maxAgeBounds } = settings;
  return maxAge === undefined ? ttl : Math.min(Math.max(maxAge, maxAgeBounds.min), maxAgeBounds.max);
}

function toFetchError(error: unknown, url: string, signal: AbortSignal): FetchError {
  if (error instanceof FetchError) return error;
  if (signal.aborted) return new FetchTimeoutError(`Request to ${url} timed out`, url);
  return new FetchError(`Request to ${url} failed`, url, { cause: error });
}
