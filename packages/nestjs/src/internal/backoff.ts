/** Exponential backoff with jitter: the delay before attempt `n + 1` is `initial · 2^n`, capped at `max`, ±`jitter`. */
export interface BackoffPolicy {
  /** Delay of the first step, in ms. */
  readonly initial: number;
  /** Longest delay before jitter, in ms. */
  readonly max: number;
  /** Relative jitter, from 0 to 1 (0.2 = ±20 %). */
  readonly jitter: number;
}

/**
 * The delay of step `step` (0 for the first) in ms: `min(initial · 2^step, max)`, spread by
 * ±`jitter` so that many waiters do not retry in lockstep; never negative.
 * @param random a number in [0, 1), `Math.random()` unless a test fixes it.
 */
export function backoffDelay(step: number, policy: BackoffPolicy, random: number = Math.random()): number {
  const base = Math.min(policy.initial * 2 ** step, policy.max);
  return Math.max(0, base * (1 + policy.jitter * (2 * random - 1)));
}
