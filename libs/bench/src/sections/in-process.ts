import { LocalIssuer } from '@jwks-cache/testing';
import { CONTENDER_LABELS, createContender, shortReason, type Contender, type ContenderId } from '../contenders.js';
import type { BenchAlgorithm, BenchMode } from '../mode.js';
import type { Column, Section } from '../report.js';
import { interleavedRounds, pairedRatio, rotated, type Series } from '../rounds.js';
import { barCells, runSection, type Row, type Scenario } from '../section.js';
import { opsPerSecond, opsPerSecondOnce, summarize } from '../stats.js';
import { flattened, mintDistinct } from '../tokens.js';

const ALL: ContenderId[] = ['jwks-cache', 'jwks-cache-uncached', 'jose-remote', 'jwks-rsa', 'floor'];

/** Bars: one token repeated ≥ 20× jose; never-seen tokens ≥ 0.95× the floor. */
const REPEATED_VS_JOSE = 20;
const NEVER_SEEN_VS_FLOOR = 0.95;

/** How the tokens of a scenario are chosen. */
type TokenKind = 'never-seen' | 'repeated' | 'cycled';

/** The tokens of one algorithm: a warm-up token (never measured), and the list every round uses. */
interface TokenSet {
  warm: string;
  list: string[];
}

/** A contender that could not verify the warm-up token: the algorithm is not supported. */
class Unsupported extends Error {}

async function started(id: ContenderId, idp: LocalIssuer, alg: BenchAlgorithm, warm: string): Promise<Contender> {
  const contender = await createContender(id, idp, alg);
  try {
    await contender.verify(warm);
  } catch (error) {
    await contender.close();
    throw new Unsupported(`unsupported (${shortReason(error)})`);
  }
  return contender;
}

function failureOf(message: string): string {
  return message.startsWith('unsupported')
    ? message
    : `failed (${message.length > 80 ? `${message.slice(0, 77)}...` : message})`;
}

/** Slices of the token list a never-seen round is cut into: the contenders take turns, slice by slice. */
const NEVER_SEEN_SLICES = 10;

/**
 * Never seen: every round starts a fresh instance of each contender (warmed with a token of its
 * own), collects the garbage of starting them when the run exposes `gc` (`--expose-gc`), then has
 * each verify each token of the list exactly once, so no token is ever served from a cache. The
 * contenders take turns slice by slice (one slice ≈ a few tens of ms), so that a drift of the
 * host's speed during a round weighs on all of them alike; a contender's figure for the round is
 * its tokens ÷ the time of its own slices.
 */
async function measureNeverSeen(
  ids: ContenderId[],
  idp: LocalIssuer,
  alg: BenchAlgorithm,
  tokens: TokenSet,
  inFlight: number,
  mode: BenchMode,
): Promise<Map<ContenderId, Series<number>>> {
  const slices = slicesOf(tokens.list, NEVER_SEEN_SLICES);
  const figures = new Map<ContenderId, number[]>(ids.map((id) => [id, []]));
  const failures = new Map<ContenderId, string>();
  for (let round = 0; round < 1 + mode.rounds; round++) {
    const running = new Map<ContenderId, Contender>();
    try {
      for (const id of ids) {
        if (failures.has(id)) continue;
        try {
          running.set(id, await started(id, idp, alg, tokens.warm));
        } catch (error) {
          failures.set(id, error instanceof Error ? error.message : String(error));
        }
      }
      (globalThis as { gc?: () => void }).gc?.();
      const elapsedMs = new Map<ContenderId, number>();
      for (const [index, slice] of slices.entries()) {
        for (const id of rotated([...running.keys()], round + index)) {
          const verify = (running.get(id) as Contender).verify;
          const start = performance.now();
          try {
            await opsPerSecondOnce(slice, verify, inFlight);
          } catch (error) {
            failures.set(id, error instanceof Error ? error.message : String(error));
            running.delete(id);
          }
          elapsedMs.set(id, (elapsedMs.get(id) ?? 0) + performance.now() - start);
        }
      }
      // The first round warms the JIT and is dropped, as in every other scenario.
      if (round > 0)
        for (const [id, ms] of elapsedMs)
          if (!failures.has(id)) figures.get(id)?.push((tokens.list.length / ms) * 1_000);
    } finally {
      await Promise.all([...running.values()].map((contender) => contender.close()));
    }
  }
  return new Map(
    ids.map((id) => [
      id,
      failures.has(id) ? { failure: failures.get(id) as string } : { rounds: figures.get(id) as number[] },
    ]),
  );
}

/** `items` cut into `count` consecutive slices of (nearly) equal length. */
function slicesOf<T>(items: readonly T[], count: number): T[][] {
  const size = Math.ceil(items.length / count);
  return Array.from({ length: Math.ceil(items.length / size) }, (_, index) =>
    items.slice(index * size, (index + 1) * size),
  );
}

/** Repeated or cycled: one instance per contender for all rounds, a token list cycled from a cursor kept across rounds. */
async function measureCycled(
  ids: ContenderId[],
  idp: LocalIssuer,
  alg: BenchAlgorithm,
  tokens: TokenSet,
  inFlight: number,
  mode: BenchMode,
): Promise<Map<ContenderId, Series<number>>> {
  const contenders = new Map<ContenderId, { contender?: Contender; cursor: number }>();
  const { warmupMs, roundMs } = mode.inProcess;
  try {
    return await interleavedRounds(ids, mode.rounds, async (id) => {
      let state = contenders.get(id);
      if (!state) {
        state = { contender: undefined, cursor: 0 };
        contenders.set(id, state);
        state.contender = await started(id, idp, alg, tokens.warm);
        // The first (warm-up) round starts with the whole list once, so every token is in a cache that can hold it.
        for (const token of tokens.list) await state.contender.verify(token);
        await opsPerSecond(
          () => (state as { contender: Contender }).contender.verify(tokens.list[0]),
          warmupMs,
          inFlight,
        );
      }
      const current = state;
      const verify = current.contender as Contender;
      return opsPerSecond(() => verify.verify(tokens.list[current.cursor++ % tokens.list.length]), roundMs, inFlight);
    });
  } finally {
    const running = [...contenders.values()]
      .map((state) => state.contender)
      .filter((contender) => contender !== undefined);
    await Promise.all(running.map((contender) => contender.close()));
  }
}

function tokensLabel(kind: TokenKind, count: number): string {
  const n = count.toLocaleString('en-US');
  if (kind === 'never-seen') return `never seen: ${n} distinct, each verified once (fresh instance per round)`;
  if (kind === 'repeated') return 'one, repeated';
  return `pool of ${n}, cycled (verified-token cache hits)`;
}

function barOf(id: ContenderId, kind: TokenKind, vsFloor: number | null, vsJose: number | null): Row {
  const ours = id === 'jwks-cache';
  if (kind === 'never-seen')
    return barCells(ours, `≥ ${NEVER_SEEN_VS_FLOOR}× floor`, (vsFloor ?? 0) >= NEVER_SEEN_VS_FLOOR);
  if (kind === 'repeated') return barCells(ours, `≥ ${REPEATED_VS_JOSE}× jose`, (vsJose ?? 0) >= REPEATED_VS_JOSE);
  return barCells(ours, undefined);
}

/**
 * The rows of one scenario. "vs floor" and "vs jose" are paired: the median of the round-by-round
 * ratios. A scenario without the floor (cycled) is compared with `reference`, the floor and jose of
 * the repeated scenario at the same concurrency (neither has a cache, so the token does not matter).
 */
function rowsOf(
  alg: BenchAlgorithm,
  kind: TokenKind,
  count: number,
  inFlight: number,
  series: Map<ContenderId, Series<number>>,
  reference = series,
): Row[] {
  const roundsOf = (source: Map<ContenderId, Series<number>>, id: ContenderId): number[] | undefined => {
    const found = source.get(id);
    return found && 'rounds' in found ? found.rounds : undefined;
  };
  const versus = (rounds: number[], id: ContenderId): number | null => {
    if (series.has(id)) return pairedRatio(rounds, roundsOf(series, id));
    const other = roundsOf(reference, id);
    return other ? summarize(rounds).median / summarize(other).median : null;
  };
  return [...series].map(([id, outcome]) => {
    const stats = 'rounds' in outcome ? summarize(outcome.rounds) : undefined;
    const vsFloor = stats ? versus(stats.rounds, 'floor') : null;
    const vsJose = stats ? versus(stats.rounds, 'jose-remote') : null;
    return {
      alg,
      tokens: tokensLabel(kind, count),
      inFlight: inFlight === 1 ? '1 (sequential)' : String(inFlight),
      contender: CONTENDER_LABELS[id],
      median: stats ? stats.median : failureOf((outcome as { failure: string }).failure),
      min: stats?.min ?? null,
      max: stats?.max ?? null,
      vsFloor,
      vsJose,
      ...barOf(id, kind, vsFloor, vsJose),
    };
  });
}

/** The scenarios of one algorithm: never seen, repeated and cycled, each sequential and concurrent. */
function scenariosOf(idp: LocalIssuer, alg: BenchAlgorithm, mode: BenchMode): Scenario[] {
  let tokens: Promise<TokenSet> | undefined;
  const tokensOf = (): Promise<TokenSet> =>
    (tokens ??= mintDistinct(idp, alg, mode.inProcess.tokens + 1).then((minted) => {
      const [warm, ...list] = flattened(minted);
      return { warm, list };
    }));
  const repeated = new Map<number, Map<ContenderId, Series<number>>>();
  return [1, mode.inProcess.inFlight].flatMap((inFlight): Scenario[] => [
    {
      name: `${alg}, never-seen tokens, ${inFlight} in flight`,
      measure: async () => {
        const set = await tokensOf();
        return rowsOf(
          alg,
          'never-seen',
          set.list.length,
          inFlight,
          await measureNeverSeen(ALL, idp, alg, set, inFlight, mode),
        );
      },
    },
    {
      name: `${alg}, one token repeated, ${inFlight} in flight`,
      measure: async () => {
        const set = await tokensOf();
        const series = await measureCycled(
          ALL,
          idp,
          alg,
          { warm: set.warm, list: set.list.slice(0, 1) },
          inFlight,
          mode,
        );
        repeated.set(inFlight, series);
        return rowsOf(alg, 'repeated', 1, inFlight, series);
      },
    },
    {
      name: `${alg}, pool cycled, ${inFlight} in flight`,
      measure: async () => {
        const set = await tokensOf();
        const series = await measureCycled(['jwks-cache'], idp, alg, set, inFlight, mode);
        return rowsOf(alg, 'cycled', set.list.length, inFlight, series, repeated.get(inFlight));
      },
    },
  ]);
}

const COLUMNS: Column[] = [
  { key: 'alg', label: 'alg', format: 'text' },
  { key: 'tokens', label: 'tokens', format: 'text' },
  { key: 'inFlight', label: 'in flight', format: 'text' },
  { key: 'contender', label: 'contender', format: 'text' },
  { key: 'median', label: 'ops/s (median)' },
  { key: 'min', label: 'min' },
  { key: 'max', label: 'max' },
  { key: 'vsFloor', label: 'vs floor', format: 'ratio' },
  { key: 'vsJose', label: 'vs jose', format: 'ratio' },
  { key: 'target', label: 'target', format: 'text' },
  { key: 'bar', label: 'bar', format: 'text' },
];

/** In-process verification: ops/s of each contender, per algorithm, token kind and concurrency. */
export async function runInProcessSection(mode: BenchMode, log: (line: string) => void): Promise<Section> {
  const { algorithms, tokens, inFlight, roundMs } = mode.inProcess;
  const idp = await LocalIssuer.start({ algorithms });
  try {
    return await runSection(
      {
        id: 'in-process',
        title: 'In-process verification (ops/s)',
        columns: COLUMNS,
        scenarios: algorithms.flatMap((alg) => scenariosOf(idp, alg, mode)),
        notes: [
          `Each scenario runs ${mode.rounds} measured rounds after one warm-up round, interleaved: round r measures every contender once, starting one contender further on each round. "in flight": 1 is one \`await verify(token)\` after another; ${inFlight} keeps ${inFlight} calls in flight at any time, as a server with many requests does (jose verifies through WebCrypto, off the main thread).`,
          `never seen: every round starts a fresh instance of each contender (warmed with a token of its own; the garbage of starting them is collected before timing, \`--expose-gc\`), which then verifies each of ${tokens.toLocaleString('en-US')} distinct tokens exactly once: a signature check each, no cache can serve any of them. The contenders take turns in ${NEVER_SEEN_SLICES} slices of the list, so a drift of the host's speed within a round weighs on all alike; a round's figure is the tokens ÷ the contender's own time.`,
          `one, repeated and pool, cycled: one instance per contender for all rounds of ${roundMs} ms, the warm-up round first verifying the whole list once. The cycled pool fits in jwks-cache's verified-token cache (10 000 entries by default), so after the warm-up every call is a cache hit: an informative row, jwks-cache only, compared with the floor and jose of the repeated scenario at the same concurrency.`,
          'Every contender checks the same issuer, audience and algorithm; keys come from the same local issuer (one key per algorithm). The tokens are flattened strings before any contender reads them (a freshly minted token is a V8 cons string, and the first reader would pay for flattening it for all the others).',
          'jwks-cache runs with its defaults; the "cache off" row shows the key-lookup and signature path alone (informative, no bar). jose and jwks-rsa with theirs (jwks-rsa: cache, rate limit of 5 requests/min as in its README; jsonwebtoken does not verify EdDSA).',
          `"vs floor" and "vs jose" are paired: the median over the rounds of the contender's figure ÷ the floor's (÷ jose \`createRemoteJWKSet\`'s, for "vs jose") in the same round. Bars: one token repeated ≥ ${REPEATED_VS_JOSE}× jose; never-seen tokens ≥ ${NEVER_SEEN_VS_FLOOR}× the floor, sequential and ${inFlight} in flight.`,
          'What a never-seen token costs jwks-cache beyond the floor (a SHA-256 of the token for the cache key, its own strict decode before jose decodes it again, the cache insert, freezing), counted in instructions with callgrind: packages/nestjs/docs/guard.md, "A token never seen before"; libs/bench/scripts/miss-cost.mjs and miss-ab.mjs reproduce it.',
        ],
      },
      log,
    );
  } finally {
    await idp.close();
  }
}
