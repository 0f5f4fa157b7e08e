import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { RetryBackoff } from './retry-backoff.js';
import { DEFAULT_TOKEN_TIMING } from '../config/options.js';

const failure = new Error('endpoint down');

/** Records `count` consecutive failures at `now` and returns how long the last one blocks (ms). */
function windowAfter(backoff: RetryBackoff, count: number, now = 0): number {
  for (let i = 0; i < count; i += 1) backoff.recordFailure(failure, now);
  let blockedUntil = now;
  // The window is whole milliseconds wide at most; find its end without knowing the jitter.
  for (let step = 131_072; step >= 1; step /= 2) {
    if (backoff.blockingError(blockedUntil + step) !== undefined) blockedUntil += step;
  }
  return backoff.blockingError(now) === undefined ? 0 : blockedUntil - now + 1;
}

afterEach(() => {
  jest.restoreAllMocks();
});

describe('RetryBackoff', () => {
  it('never blocks after a first failure: the next call requests at once', () => {
    const backoff = new RetryBackoff(DEFAULT_TOKEN_TIMING.retryBackoff);
    backoff.recordFailure(failure, 1_000);
    expect(backoff.blockingError(1_000)).toBeUndefined();
  });

  it('blocks 1 s after the second consecutive failure, doubling up to 60 s, with the last error', () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5); // no jitter
    const expected = [0, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000];
    expected.forEach((delay, i) => {
      const backoff = new RetryBackoff(DEFAULT_TOKEN_TIMING.retryBackoff);
      expect(windowAfter(backoff, i + 1)).toBe(delay);
    });
    const backoff = new RetryBackoff(DEFAULT_TOKEN_TIMING.retryBackoff);
    backoff.recordFailure(new Error('first'), 0);
    backoff.recordFailure(failure, 0);
    expect(backoff.blockingError(999)).toBe(failure);
  });

  it('applies ±jitter to each delay', () => {
    const random = jest.spyOn(Math, 'random');
    random.mockReturnValue(0);
    expect(windowAfter(new RetryBackoff(DEFAULT_TOKEN_TIMING.retryBackoff), 2)).toBe(800);
    random.mockReturnValue(0.999_999);
    expect(windowAfter(new RetryBackoff(DEFAULT_TOKEN_TIMING.retryBackoff), 2)).toBe(1_200);
  });

  it('starts over after a success', () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    const backoff = new RetryBackoff(DEFAULT_TOKEN_TIMING.retryBackoff);
    for (let i = 0; i < 5; i += 1) backoff.recordFailure(failure, 0);
    backoff.recordSuccess();
    expect(backoff.blockingError(0)).toBeUndefined();
    expect(windowAfter(backoff, 1)).toBe(0);
    expect(windowAfter(backoff, 1)).toBe(1_000);
  });

  it('takes its policy, and never blocks when turned off', () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    expect(windowAfter(new RetryBackoff({ initial: 5_000, max: 7_000, jitter: 0 }), 2)).toBe(5_000);
    expect(windowAfter(new RetryBackoff({ initial: 5_000, max: 7_000, jitter: 0 }), 3)).toBe(7_000);
    expect(windowAfter(new RetryBackoff(false), 50)).toBe(0);
  });
});
