import { afterEach, describe, expect, it } from '@jest/globals';
import { fakeClock, restoreClock } from '../../../../test/support/fake-clock.js';
import { clock } from './clock.js';

afterEach(() => restoreClock());

describe('clock', () => {
  it('reads the one clock that test/support/fake-clock.ts fakes', () => {
    const fake = fakeClock(1_700_000_000_000);
    expect(clock.now()).toBe(1_700_000_000_000);
    fake.advance(1_234);
    expect(clock.now()).toBe(1_700_000_001_234);
  });
});
