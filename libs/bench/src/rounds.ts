import { summarize } from './stats.js';

/** `items` turned by `by` places: round i starts with the i-th item. */
export function rotated<T>(items: readonly T[], by: number): T[] {
  const start = by % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

/** What the rounds of one contender gave: a figure per round, or why it could not be measured. */
export type Series<T> = { rounds: T[] } | { failure: string };

/**
 * Interleaved rounds: round r measures every contender once, starting one contender further on
 * each round, so that a host whose speed drifts during the run (a shared machine) slows every
 * contender alike, and round r of one contender can be paired with round r of another. The first
 * `warmupRounds` rounds are run the same way and dropped. A contender whose `measure` throws is
 * dropped from the later rounds, with the error's message as its failure.
 */
export async function interleavedRounds<Id, T>(
  ids: readonly Id[],
  rounds: number,
  measure: (id: Id) => Promise<T>,
  { warmupRounds = 1, onRound }: { warmupRounds?: number; onRound?: (round: number) => void } = {},
): Promise<Map<Id, Series<T>>> {
  const figures = new Map<Id, T[]>(ids.map((id) => [id, []]));
  const failures = new Map<Id, string>();
  for (let round = 0; round < warmupRounds + rounds; round++) {
    onRound?.(round - warmupRounds);
    for (const id of rotated(ids, round)) {
      if (failures.has(id)) continue;
      try {
        const figure = await measure(id);
        if (round >= warmupRounds) (figures.get(id) as T[]).push(figure);
      } catch (error) {
        failures.set(id, error instanceof Error ? error.message : String(error));
      }
    }
  }
  return new Map(
    ids.map((id) => [
      id,
      failures.has(id) ? { failure: failures.get(id) as string } : { rounds: figures.get(id) as T[] },
    ]),
  );
}

/** Round-by-round ratios `of[i] / to[i]` of two interleaved series. */
export function pairedRatios(of: readonly number[], to: readonly number[]): number[] {
  return of.slice(0, to.length).map((figure, round) => figure / to[round]);
}

/** The median of the round-by-round ratios (the paired ratio), or null when either is missing. */
export function pairedRatio(of: readonly number[] | undefined, to: readonly number[] | undefined): number | null {
  if (!of || !to || of.length === 0 || to.length === 0) return null;
  return summarize(pairedRatios(of, to)).median;
}

/** A compact list of ratios for a table cell: "0.93 0.97 1.01". */
export function ratioList(ratios: readonly number[]): string {
  return ratios.map((ratio) => ratio.toFixed(2)).join(' ');
}
