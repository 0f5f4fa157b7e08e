import { jest } from '@jest/globals';

/**
 * Fakes only `Date`, so the library's clock moves while sockets, timers and background retries
 * keep running on real time. Undo with `jest.useRealTimers()`.
 */
export function fakeDateOnly(now: number = Date.now()): void {
  jest.useFakeTimers({
    doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'],
  });
  jest.setSystemTime(now);
}

/** Moves the faked `Date` forward by `ms`. */
export function advanceDate(ms: number): void {
  jest.setSystemTime(Date.now() + ms);
}
