import type { RetryBackoff } from './retry-backoff.js';
import type { CachedTokenEntry } from './cached-token.js';
import type { RegisteredTokenSource, ResolvedTokenSource } from './token-source.js';

/** Counters of one token name, since the service started. */
export interface TokenStats {
  /** Calls answered with a cached token (in process, or adopted from the shared store). */
  served: number;
  /** Tokens obtained from the source (by callers and by background refreshes). */
  fetched: number;
  /** Background refreshes started in the refresh-ahead window. */
  refreshedAhead: number;
  /** Failed attempts to obtain a token: the request, an unusable token, or verification. */
  failures: number;
  /** Cached tokens dropped by `invalidate()` or after a 401 seen by `fetch()`. */
  invalidations: number;
  /** Tenants (the no-tenant case included) whose token state is held in process now. */
  tenants: number;
}

/** The state behind one store key, shared by cache and single-flight. */
export interface KeyState {
  /** The in-process copy; the hot path reads only this. Set only through `setEntry`. */
  entry: CachedTokenEntry | undefined;
  /** `entry.token` as a settled promise, created once per token rather than once per call. */
  handedOut: Promise<string> | undefined;
  backoff: RetryBackoff;
  /** The token `fetch()` last invalidated after a 401: a concurrent 401 with it invalidates nothing more. */
  invalidatedAfter401: string | undefined;
  /** The token `fetch()` obtained to retry after a 401: a 401 with it is the downstream's answer, not the token's fault. */
  retriedAfter401: string | undefined;
}

/** What `ensureToken(name, tenant)` resolves to, memoized so the hot path neither resolves nor hashes. */
export interface TokenSlot {
  name: string;
  tenant: string | undefined;
  source: RegisteredTokenSource;
  resolved: ResolvedTokenSource;
  state: KeyState;
  stats: TokenCounters;
}

/** The counted part of {@link TokenStats}, one object per token name shared by its slots. */
export type TokenCounters = Omit<TokenStats, 'tenants'>;

/** Sets the in-process copy of a key's token (and the settled promise handed out for it). */
export function setEntry(state: KeyState, entry: CachedTokenEntry | undefined): void {
  state.entry = entry;
  state.handedOut = entry === undefined ? undefined : Promise.resolve(entry.token);
}
