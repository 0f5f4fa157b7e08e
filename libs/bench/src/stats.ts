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
export async function measureRounds(count: number, warmup: () => Promise<unknown>, round: () => Promise<number>): Promise<RoundStats> {
  await warmup();
  const figures: number[] = [];
  for (let i = 0; i < count; i++) figures.push(await round());
  return summarize(figures);
}

/** How many operations per second `operation` sustains, called sequentially for `durationMs`. */
export async function opsPerSecond(operation: () => Promise<unknown>, durationMs: number): Promise<number> {
  // The clock is read once per batch so that reading it does not weigh on sub-microsecond operations.
  const batch = 64;
  const start = performance.now();
  let done = 0;
  let elapsed = 0;
  do {
    for (let i = 0; i < batch; i++) await operation();
    done += batch;
    elapsed = performance.now() - start;
  } while (elapsed < durationMs);
  return (done / elapsed) * 1_000;
}
