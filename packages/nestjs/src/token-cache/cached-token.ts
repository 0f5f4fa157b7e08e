import { decodeJwt } from 'jose';

/**
 * What is kept for one outbound token, in process and in the module's `CacheStore`. A plain,
 * serializable object, so a shared store (and an encryption layer in front of it) can hold it.
 * Times are epoch milliseconds.
 */
export interface CachedTokenEntry {
  /** The access token. */
  token: string;
  /** When the token expires (its JWT `exp`, else the request start + `expires_in`). */
  expiresAt: number;
  /** When the token was obtained from its source. */
  obtainedAt: number;
}

/** A token as a source handed it over, before its expiry is known. */
export interface ObtainedToken {
  token: string;
  /** `expires_in` of the answer, in seconds, when there was one. */
  expiresIn?: number;
}

/** Where a token stands for a caller at a given time. */
export type TokenFreshness = 'fresh' | 'refresh-ahead' | 'expired';

/** The leeway and refresh-ahead window of one token source, in ms. */
export interface TokenWindow {
  leeway: number;
  refreshAhead: number;
}

/**
 * A token is usable while more than `leeway` is left; in the last `refreshAhead` before that
 * point it is still handed out, but a background refresh is due — unless the token was obtained
 * inside that window already (a lifetime shorter than `leeway + refreshAhead`): refreshing it
 * would bring no better token, only a request per call.
 */
export function freshnessOf(entry: CachedTokenEntry, window: TokenWindow, now: number): TokenFreshness {
  const usableUntil = entry.expiresAt - window.leeway;
  if (now >= usableUntil) return 'expired';
  const refreshFrom = usableUntil - window.refreshAhead;
  return now >= refreshFrom && entry.obtainedAt < refreshFrom ? 'refresh-ahead' : 'fresh';
}

/**
 * The expiry of a token, in epoch ms: the JWT `exp` when the token is a JWT carrying one (read
 * without verifying: it only decides how long to cache), else `expiresIn` counted from the start
 * of the request (a conservative clock), else `undefined`. Either counts only up to
 * `maxLifetime` ms after the request started. A JWT whose `exp` is not a finite number ≥ 0 has no
 * readable expiry (its `expires_in` is not used instead: the downstream reads the `exp`).
 */
export function readExpiry(obtained: ObtainedToken, requestStartedAt: number, maxLifetime: number): number | undefined {
  const expiry =
    jwtExpiry(obtained.token) ??
    (obtained.expiresIn === undefined ? undefined : requestStartedAt + obtained.expiresIn * 1000);
  if (expiry === undefined || expiry === UNREADABLE) return undefined;
  return Math.min(expiry, requestStartedAt + maxLifetime);
}

/**
 * `expires_in` in seconds: a finite number ≥ 0, or a string holding one (some servers send it
 * so). Anything else (negative, `NaN`, `Infinity`, `"1e400"`, `"12abc"`) is `undefined`.
 */
export function readExpiresIn(value: unknown): number | undefined {
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

const UNREADABLE = Symbol('unreadable exp');

/** The JWT `exp` in ms; `undefined` for a token that is not a JWT or has no `exp`. */
function jwtExpiry(token: string): number | typeof UNREADABLE | undefined {
  let exp: unknown;
  try {
    ({ exp } = decodeJwt(token));
  } catch {
    return undefined; // Not a JWT (an opaque token, or a JWE): the answer's expires_in decides.
  }
  if (exp === undefined) return undefined;
  return typeof exp === 'number' && Number.isFinite(exp) && exp >= 0 ? exp * 1000 : UNREADABLE;
}

/** How far ahead of this process's clock another instance's `obtainedAt` may be, in ms. */
const MAX_PEER_CLOCK_SKEW_MS = 60_000;

/**
 * An entry read back from a (possibly shared) store, held to this process's own limit: it lives
 * at most `maxLifetime` after it was obtained, and one claiming to be obtained in the future is
 * refused (`undefined`), so a planted or replayed entry cannot outlive what a fresh token would.
 */
export function withinLifetime(
  entry: CachedTokenEntry,
  maxLifetime: number,
  now: number,
): CachedTokenEntry | undefined {
  if (entry.obtainedAt > now + MAX_PEER_CLOCK_SKEW_MS) return undefined;
  const cap = entry.obtainedAt + maxLifetime;
  return entry.expiresAt <= cap ? entry : { ...entry, expiresAt: cap };
}

/** Whether a value read back from a (possibly shared) store has the shape of an entry. */
export function isCachedTokenEntry(value: unknown): value is CachedTokenEntry {
  if (value === null || typeof value !== 'object') return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.token === 'string' &&
    entry.token.length > 0 &&
    typeof entry.expiresAt === 'number' &&
    Number.isFinite(entry.expiresAt) &&
    typeof entry.obtainedAt === 'number' &&
    Number.isFinite(entry.obtainedAt)
  );
}
