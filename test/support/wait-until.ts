import { setTimeout as pause } from 'node:timers/promises';

/** How often {@link waitUntil} looks again, in ms (real time). */
const POLL_INTERVAL_MS = 10;

/**
 * Resolves as soon as `condition` holds, looking every 10 ms of real time (`performance`, which
 * the fake clock leaves alone). Fails after `timeoutMs` (default 20 s): a bound that only a
 * condition that never comes reaches, however busy the machine.
 */
export async function waitUntil(condition: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`waitUntil: ${what} not met within ${timeoutMs} ms`);
    await pause(POLL_INTERVAL_MS);
  }
}

/**
 * Whether `promise` settles (resolves or rejects) within `ms` of real time. Use it only to check
 * that something is still pending, with `ms` far below the delay that keeps it pending: a busy
 * machine can then only make the answer "not yet" more likely, never wrong.
 */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await pause(ms);
  return settled;
}
