import {
  BodyTooLargeError,
  FetchError,
  FetchTimeoutError,
  InvalidResponseError,
  RedirectRefusedError,
  ResponseTooLargeError,
} from '../errors.js';
import { boundedFetch, readBoundedText } from './bounded-fetch.js';
import { parseMaxAge } from './max-age.js';

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
    const response = await ensureOk(
      await boundedFetch(url, {
        init: { headers: { accept: 'application/json' } },
        signal,
        maxRedirects: MAX_REDIRECTS,
      }),
      url,
    );
    await ensureJsonType(response, url);
    const text = await readBoundedText(response, limits.maxResponseBytes);
    return { body: parseJson(text, url), maxAge: parseMaxAge(response.headers.get('cache-control')) };
  } catch (error) {
    throw toFetchError(error, url, signal);
  }
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
  const shown =
    mediaType !== undefined && /^[a-z0-9!#$&^_.+/-]{1,64}$/.test(mediaType)
      ? mediaType
      : header === null
        ? 'none'
        : 'unreadable';
  throw new InvalidResponseError(`Response of ${url} has content-type ${shown}, not JSON`, url, {
    status: response.status,
  });
}

function parseJson(text: string, url: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidResponseError(`Response of ${url} is not JSON`, url);
  }
}

/** The shared mechanisms' signals as this module's typed errors. */
function redirectError(error: RedirectRefusedError, url: string): FetchError {
  const { status } = error;
  if (error.reason === 'no-location') return new FetchError(`Redirect without Location from ${url}`, url, { status });
  if (error.reason === 'too-many')
    return new FetchError(`More than ${MAX_REDIRECTS} redirects from ${url}`, url, { status });
  return new InvalidResponseError(`Redirect from ${url} to another origin refused`, url, { status });
}

function toFetchError(error: unknown, url: string, signal: AbortSignal): FetchError {
  if (error instanceof FetchError) return error;
  if (error instanceof BodyTooLargeError)
    return new ResponseTooLargeError(`Response of ${url} exceeds ${error.limit} bytes`, url);
  if (error instanceof RedirectRefusedError) return redirectError(error, url);
  if (signal.aborted) return new FetchTimeoutError(`Request to ${url} timed out`, url);
  return new FetchError(`Request to ${url} failed`, url, { cause: error });
}
