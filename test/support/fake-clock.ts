import { jest } from '@jest/globals';

/**
 * What stays real while `Date` is faked: sockets, timers, ticks and `performance` keep running on
 * real time, so servers answer, background retries fire and polling deadlines still bound a test.
 */
const REAL_TIME_APIS = [
  'nextTick',
  'setImmediate',
  'clearImmediate',
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'queueMicrotask',
  'hrtime',
  'performance',
] as const;

/** A faked `Date`: it stands still until the test moves it. */
export interface FakeClock {
  /** The epoch ms the clock was set to when faked. */
  readonly start: number;
  /** Sets the clock to `epochMs`. */
  set(epochMs: number): void;
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
}

/**
 * Fakes only `Date` (the library's one clock), set to `start` epoch ms, default now. The clock does
 * not move by itself: however slow the machine, no cooldown, ttl or backoff passes until the test
 * says so. Faking again replaces the clock. Undo with {@link restoreClock} (or `jest.useRealTimers()`).
 */
export function fakeClock(start: number = Date.now()): FakeClock {
  jest.useFakeTimers({ doNotFake: [...REAL_TIME_APIS] });
  jest.setSystemTime(start);
  return {
    start,
    set: (epochMs) => jest.setSystemTime(epochMs),
    advance: (ms) => jest.setSystemTime(Date.now() + ms),
  };
}

/** Gives `Date` back its real time. */
export function restoreClock(): void {
  jest.useRealTimers();
}
