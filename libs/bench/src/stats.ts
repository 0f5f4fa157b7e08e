/** Median, min and max of the rounds of one scenario. */
export interface RoundStats {
  median: number;
  min: number;
  max: number;
  /** Every round's figure, in run order. */
  rounds: number[];
}

/** Summarises the figures of the measured rounds (the warm-up is never part of them). */
export function summarize(rounds: readonly number[]): RoundStats {
  if (rounds.length === 0) throw new RangeError('summarize: no rounds');
  const sorted = [...rounds].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], rounds: [...rounds] };
}

/**
 * Runs `warmup` once, then `round` `count` times, and summarises what the rounds returned.
 * Each round returns its own figure (ops/s, req/s ...).
 */
export async function measureRounds(
  count: number,
  warmup: () => Promise<unknown>,
  round: () => Promise<number>,
): Promise<RoundStats> {
  await warmup();
  const figures: number[] = [];
  for (let i = 0; i < count; i++) figures.push(await round());
  return summarize(figures);
}

/**
 * How many operations per second `operation` sustains for `durationMs`, with `inFlight` calls in
 * flight at any time (1: one `await` after another).
 */
export async function opsPerSecond(
  operation: () => Promise<unknown>,
  durationMs: number,
  inFlight = 1,
): Promise<number> {
  // The clock is read once per batch so that reading it does not weigh on sub-microsecond operations.
  const batch = 64;
  const start = performance.now();
  let done = 0;
  const worker = async (): Promise<void> => {
    do {
      for (let i = 0; i < batch; i++) await operation();
      done += batch;
    } while (performance.now() - start < durationMs);
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (done / (performance.now() - start)) * 1_000;
}

/** Operations per second of calling `operation` once per item of `items`, with `inFlight` calls in flight at any time. */
export async function opsPerSecondOnce<T>(
  items: readonly T[],
  operation: (item: T) => Promise<unknown>,
  inFlight = 1,
): Promise<number> {
  let next = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (next < items.length) await operation(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, items.length) }, worker));
  return (items.length / (performance.now() - start)) * 1_000;
}
