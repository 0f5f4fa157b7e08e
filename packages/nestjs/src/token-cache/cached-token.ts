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
 * of the request (a conservative clock), else `undefined`.
 */
export function readExpiry(obtained: ObtainedToken, requestStartedAt: number): number | undefined {
  const exp = jwtExpiry(obtained.token);
  if (exp !== undefined) return exp * 1000;
  if (obtained.expiresIn !== undefined) return requestStartedAt + obtained.expiresIn * 1000;
  return undefined;
}

function jwtExpiry(token: string): number | undefined {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined; // Not a JWT (an opaque token, or a JWE): the answer's expires_in decides.
  }
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
