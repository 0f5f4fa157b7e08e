import { AuthorizationMalformedError } from '../errors.js';
import type { GuardOptions } from '../config/options.js';

/** The part of an Express or Fastify request the extraction reads. */
export interface RequestWithHeaders {
  headers?: Record<string, string | string[] | undefined>;
  /** Set by `cookie-parser` (Express) or `@fastify/cookie`; parsed from `Cookie` otherwise. */
  cookies?: Record<string, unknown>;
}

/** RFC 6750 §2.1 `b64token`. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** RFC 7235 auth-scheme `Bearer`, case-insensitive, as the whole header or before its first space. */
const BEARER_SCHEME = /^bearer(?: |$)/i;

/** @param name lower case, as Node keys `request.headers`. */
function headerValue(request: RequestWithHeaders, name: string): string | undefined {
  const value = request.headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

/**
 * `Bearer <token>`: scheme case-insensitive, one space, one b64token. Another scheme (`Basic …`)
 * means "no bearer token" (RFC 6750 §3.1: no error code); a Bearer header of any other shape is
 * an invalid request. With `checkShape` false only an empty token is refused (see {@link findBearerToken}).
 */
function fromAuthorization(request: RequestWithHeaders, checkShape: boolean): string | undefined {
  const value = headerValue(request, 'authorization');
  if (value === undefined) return undefined;
  // Matched in place: slicing and lower-casing the scheme cost two strings on every request.
  if (!BEARER_SCHEME.test(value)) return undefined;
  const token = value.slice('Bearer '.length);
  const wellFormed = checkShape ? B64TOKEN.test(token) : token !== '';
  if (!wellFormed) throw new AuthorizationMalformedError('The Authorization header is not "Bearer <token>"');
  return token;
}

function parseCookieHeader(header: string, name: string): string | undefined {
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals === -1 || pair.slice(0, equals).trim() !== name) continue;
    const value = pair
      .slice(equals + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}

function fromCookie(request: RequestWithHeaders, name: string): string | undefined {
  const parsed = request.cookies?.[name];
  if (typeof parsed === 'string') return parsed === '' ? undefined : parsed;
  const header = headerValue(request, 'cookie');
  const value = header === undefined ? undefined : parseCookieHeader(header, name);
  return value === '' ? undefined : value;
}

function locateToken(request: RequestWithHeaders, options: GuardOptions, checkShape: boolean): string | undefined {
  const fromHeader =
    options.header === undefined
      ? fromAuthorization(request, checkShape)
      : headerValue(request, options.header.toLowerCase())?.trim();
  if (fromHeader !== undefined && fromHeader !== '') return fromHeader;
  return options.cookie === undefined ? undefined : fromCookie(request, options.cookie);
}

/**
 * The token of a request, or `undefined` when it carries none:
 * 1. the `guard.header` header (raw JWT) when configured, else `Authorization: Bearer <token>`;
 * 2. then, when `guard.cookie` is configured, that cookie.
 *
 * The header wins when both are present (a browser may send a stale cookie along an explicit header).
 * @throws AuthorizationMalformedError when `Authorization` uses the Bearer scheme with a bad shape.
 */
export function extractBearerToken(request: RequestWithHeaders, options: GuardOptions = {}): string | undefined {
  return locateToken(request, options, true);
}

/**
 * The same token as {@link extractBearerToken}, without the b64token check of a Bearer header
 * (a regex over the whole token, which costs as much as hashing it). Only for a lookup that an
 * exact, already verified token alone can satisfy: such a token is a well-formed compact JWS, and
 * whatever misses must go through {@link extractBearerToken}.
 * @throws AuthorizationMalformedError when `Authorization` is `Bearer` with no token.
 */
export function findBearerToken(request: RequestWithHeaders, options: GuardOptions = {}): string | undefined {
  return locateToken(request, options, false);
}
