import { describe, expect, it } from '@jest/globals';
import { freshnessFor, parseMaxAge } from './max-age.js';

describe('parseMaxAge', () => {
  it.each([
    [null, undefined],
    ['public', undefined],
    ['max-age=120', 120_000],
    ['public, MAX-AGE="60", must-revalidate', 60_000],
    ['s-maxage=10', undefined],
    ['no-store', 0],
    ['max-age=abc', undefined],
  ])('%s → %s', (header, expected) => {
    expect(parseMaxAge(header)).toBe(expected);
  });
});

describe('freshnessFor', () => {
  const settings = { ttl: 1_000, maxAgeBounds: { min: 60_000, max: 86_400_000 } };

  it('uses the configured ttl as given without a max-age, however short', () => {
    expect(freshnessFor(undefined, settings)).toBe(1_000);
  });

  it.each([
    [0, 60_000],
    [30_000, 60_000],
    [120_000, 120_000],
    [86_400_000 * 2, 86_400_000],
  ])('clamps a max-age of %i ms to %i ms', (maxAge, expected) => {
    expect(freshnessFor(maxAge, settings)).toBe(expected);
  });
});
