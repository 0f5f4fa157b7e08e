import { LocalIssuer } from '@jwks-cache/testing';
import { CONTENDER_LABELS, createContender, shortReason, type Contender, type ContenderId } from '../contenders.js';
import type { BenchAlgorithm, BenchMode } from '../mode.js';
import { barVerdict, type Cell, type Section } from '../report.js';
import { measureRounds, opsPerSecond, type RoundStats } from '../stats.js';
import { mintDistinct } from '../tokens.js';

const CONTENDERS: ContenderId[] = ['jwks-cache', 'jwks-cache-uncached', 'jose-remote', 'jwks-rsa', 'floor'];

type TokenMode = 'repeated' | 'distinct';

/** The bars of the in-process section: repeated ≥ 20× jose; distinct ≥ 0.95× the floor. */
const REPEATED_VS_JOSE = 20;
const DISTINCT_VS_FLOOR = 0.95;

type Outcome = { stats: RoundStats } | { failure: string };

/** Measures one contender on a token list cycled in order, from a cursor kept across rounds. */
async function measureContender(contender: Contender, tokens: string[], mode: BenchMode): Promise<Outcome> {
  let cursor = 0;
  const next = (): Promise<unknown> => contender.verify(tokens[cursor++ % tokens.length]);
  try {
    await contender.verify(tokens[0]);
  } catch (error) {
    return { failure: `unsupported (${shortReason(error)})` };
  }
  try {
    // The warm-up cycles through the whole pool once, so that every contender is measured in its steady state.
    const warmup = async (): Promise<void> => {
      for (let i = 0; i < tokens.length; i++) await next();
      await opsPerSecond(next, mode.inProcess.warmupMs);
    };
    const stats = await measureRounds(mode.rounds, warmup, () => opsPerSecond(next, mode.inProcess.roundMs));
    return { stats };
  } catch (error) {
    return { failure: `failed (${shortReason(error)})` };
  }
}

function ratio(outcome: Outcome | undefined, reference: Outcome | undefined): number | null {
  if (!outcome || !reference || !('stats' in outcome) || !('stats' in reference)) return null;
  return outcome.stats.median / reference.stats.median;
}

function barOf(id: ContenderId, tokenMode: TokenMode, vsFloor: number | null, vsJose: number | null): { target: Cell; bar: Cell } {
  if (id !== 'jwks-cache') return { target: null, bar: null };
  if (tokenMode === 'repeated') return { target: `≥ ${REPEATED_VS_JOSE}× jose`, bar: barVerdict(vsJose === null ? false : vsJose >= REPEATED_VS_JOSE) };
  return { target: `≥ ${DISTINCT_VS_FLOOR}× floor`, bar: barVerdict(vsFloor === null ? false : vsFloor >= DISTINCT_VS_FLOOR) };
}

function rowsOf(alg: BenchAlgorithm, tokenMode: TokenMode, poolSize: number, outcomes: Map<ContenderId, Outcome>): Array<Record<string, Cell>> {
  return CONTENDERS.map((id) => {
    const outcome = outcomes.get(id) as Outcome;
    const vsFloor = ratio(outcome, outcomes.get('floor'));
    const vsJose = ratio(outcome, outcomes.get('jose-remote'));
    const figures = 'stats' in outcome
      ? { median: outcome.stats.median, min: outcome.stats.min, max: outcome.stats.max }
      : { median: outcome.failure, min: null, max: null };
    return {
      alg,
      tokens: tokenMode === 'repeated' ? 'one, repeated' : `${poolSize.toLocaleString('en-US')} distinct, cycled`,
      contender: CONTENDER_LABELS[id],
      ...figures,
      vsFloor,
      vsJose,
      ...barOf(id, tokenMode, vsFloor, vsJose),
    };
  });
}

async function measureScenario(idp: LocalIssuer, alg: BenchAlgorithm, tokens: string[], mode: BenchMode): Promise<Map<ContenderId, Outcome>> {
  const outcomes = new Map<ContenderId, Outcome>();
  for (const id of CONTENDERS) {
    const contender = await createContender(id, idp, alg);
    try {
      outcomes.set(id, await measureContender(contender, tokens, mode));
    } finally {
      await contender.close();
    }
  }
  return outcomes;
}

/** In-process verification: ops/s of each contender, per algorithm, for a repeated token and a cycled pool. */
export async function runInProcessSection(mode: BenchMode, log: (line: string) => void): Promise<Section> {
  const { algorithms, distinctTokens } = mode.inProcess;
  const idp = await LocalIssuer.start({ algorithms });
  const rows: Array<Record<string, Cell>> = [];
  try {
    for (const alg of algorithms) {
      const pool = await mintDistinct(idp, alg, distinctTokens);
      for (const tokenMode of ['repeated', 'distinct'] as const) {
        log(`in-process: ${alg}, ${tokenMode} tokens`);
        const tokens = tokenMode === 'repeated' ? pool.slice(0, 1) : pool;
        rows.push(...rowsOf(alg, tokenMode, pool.length, await measureScenario(idp, alg, tokens, mode)));
      }
    }
  } finally {
    await idp.close();
  }
  return {
    id: 'in-process',
    title: 'In-process verification (ops/s)',
    notes: [
      `Sequential \`await verify(token)\` calls; ${mode.rounds} rounds of ${mode.inProcess.roundMs} ms after a warm-up that first cycles through the whole token pool once.`,
      'Every contender checks the same issuer, audience and algorithm; keys come from the same local issuer (one key per algorithm).',
      'jwks-cache runs with its defaults (verified-token cache of 10 000 entries, so a cycled pool of up to 10 000 tokens is served from it); the "cache off" row shows the key-lookup and signature path alone (informative, no bar). jose and jwks-rsa with theirs (jwks-rsa: cache, rate limit of 5 requests/min as in its README).',
      `"vs floor" and "vs jose" divide the median by the floor's and by jose \`createRemoteJWKSet\`'s. Bars: one token repeated ≥ ${REPEATED_VS_JOSE}× jose; distinct tokens ≥ ${DISTINCT_VS_FLOOR}× the floor.`,
    ],
    columns: [
      { key: 'alg', label: 'alg', format: 'text' },
      { key: 'tokens', label: 'tokens', format: 'text' },
      { key: 'contender', label: 'contender', format: 'text' },
      { key: 'median', label: 'ops/s (median)' },
      { key: 'min', label: 'min' },
      { key: 'max', label: 'max' },
      { key: 'vsFloor', label: 'vs floor', format: 'ratio' },
      { key: 'vsJose', label: 'vs jose', format: 'ratio' },
      { key: 'target', label: 'target', format: 'text' },
      { key: 'bar', label: 'bar', format: 'text' },
    ],
    rows,
  };
}
