import type { ResolvedJwksOptions } from '../config/options.js';
import type { LoadedKeySet } from './key-set-state-types.js';

/** How a key set may serve without a wait: fresh, stale while its issuer fails, or past freshness while it is refreshed. */
export type Usability = 'fresh' | 'stale' | 'revalidating' | undefined;

type Windows = Pick<ResolvedJwksOptions, 'staleIfError' | 'timeout'>;

/**
 * How `current` may serve at `now` without waiting, or `undefined` when a request must wait:
 * fresh; stale, while background retries run (`retrying`) and within `staleIfError`; or
 * revalidating, within `timeout` past its freshness.
 */
export function usabilityOf(current: LoadedKeySet, now: number, windows: Windows, retrying: boolean): Usability {
  if (now < current.freshUntil) return 'fresh';
  if (retrying && withinStaleWindow(current, now, windows)) return 'stale';
  if (withinRevalidateWindow(current, now, windows)) return 'revalidating';
  return undefined;
}

/** Whether `now` is within `staleIfError` past the set's freshness. */
export function withinStaleWindow(current: LoadedKeySet, now: number, windows: Windows): boolean {
  return now < current.freshUntil + windows.staleIfError;
}

/**
 * Stale-while-revalidate lasts at most `timeout` past freshness: as long as one refresh started
 * at the end of freshness may take. Past it, a request waits for the refresh (or, once it
 * failed, stale-if-error takes over).
 */
export function withinRevalidateWindow(current: LoadedKeySet, now: number, windows: Windows): boolean {
  return now < current.freshUntil + windows.timeout;
}

/**
 * Epoch ms from which a request starts a refresh-ahead of `current`, or `undefined` when
 * `refreshAhead` is `0`. Never more than the last half of the set's freshness: with a `ttl` or
 * `max-age` below `refreshAhead`, a window as long as the freshness would leave no room for "one
 * attempt per window", and no refresh-ahead would ever start.
 */
export function refreshAheadStart(current: LoadedKeySet, refreshAhead: number): number | undefined {
  if (refreshAhead === 0) return undefined;
  return current.freshUntil - Math.min(refreshAhead, (current.freshUntil - current.fetchedAt) / 2);
}
