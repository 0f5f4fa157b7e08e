/** Where the library reads the time. */
export interface Clock {
  /** Epoch ms. */
  now(): number;
}

/**
 * The library's one clock: epoch ms from `Date.now()`. Every freshness, cooldown, backoff and
 * expiry reads time here, so a test that fakes `Date` (test/support/fake-clock.ts) moves all of
 * them together.
 */
export const clock: Clock = Object.freeze({ now: () => Date.now() });
