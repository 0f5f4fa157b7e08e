import { describe, expect, it } from '@jest/globals';
import { backoffDelay } from './backoff.js';

const policy = { initial: 1_000, max: 60_000, jitter: 0.2 };

describe('backoffDelay', () => {
  it('doubles from initial per step up to max (no jitter at random = 0.5)', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((step) => backoffDelay(step, policy, 0.5))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000,
    ]);
  });

  it('spreads each delay by at most ±jitter', () => {
    expect(backoffDelay(2, policy, 0)).toBeCloseTo(4_000 * 0.8);
    expect(backoffDelay(2, policy, 0.999_999)).toBeCloseTo(4_000 * 1.2, 1);
    for (let i = 0; i < 100; i++) {
      const delay = backoffDelay(6, policy);
      expect(delay).toBeGreaterThanOrEqual(48_000);
      expect(delay).toBeLessThanOrEqual(72_000);
    }
  });

  it('is never negative, even with a full jitter', () => {
    expect(backoffDelay(0, { initial: 1_000, max: 1_000, jitter: 1 }, 0)).toBe(0);
  });
});
