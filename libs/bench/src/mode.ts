/**
 * How long and how wide a run is. `full` is the published run (< 10 min on 2 cores), `quick` a
 * development run (< 2 min), `smoke` a seconds-long run that only proves every section works.
 */
export type ModeName = 'full' | 'quick' | 'smoke';

/** The signature algorithms measured in process. */
export type BenchAlgorithm = 'RS256' | 'ES256' | 'EdDSA';

/** The HTTP platforms measured. */
export type Platform = 'express' | 'fastify';

export interface BenchMode {
  name: ModeName;
  /** Measured rounds per scenario (median, min, max are taken over them). Always ≥ 5. HTTP has its own, `http.rounds`. */
  rounds: number;
  inProcess: {
    algorithms: BenchAlgorithm[];
    /** Warm-up before the rounds of one scenario, in ms. */
    warmupMs: number;
    /** Length of one round, in ms. */
    roundMs: number;
    /** Distinct tokens of the never-seen rounds (each verified once per round), also the cycled pool (≤ the verified-token cache). */
    tokens: number;
    /** Calls in flight in the concurrent rows. */
    inFlight: number;
  };
  http: {
    platforms: Platform[];
    /** Warm-up load before the rounds, in seconds. */
    warmupSeconds: number;
    /** Measured rounds per route (≥ 10: the paired bar is a median of ≥ 10 round ratios), interleaved across the routes. */
    rounds: number;
    /** Length of one autocannon round, in seconds. */
    roundSeconds: number;
    connections: number;
    /** Size of the rotated pool of distinct tokens. */
    distinctTokens: number;
  };
  resilience: {
    /** Length of the steady-state window and of the window of the event (rotation, outage) that follows it, in seconds. */
    windowSeconds: number;
  };
  idp: {
    coldConcurrency: number;
    floodTokens: number;
    /** Length of the unknown-kid flood, in seconds. */
    floodSeconds: number;
    fleetSize: number;
    outageTokens: number;
  };
  outbound: {
    warmupMs: number;
    roundMs: number;
    fleetSize: number;
    fleetCalls: number;
  };
  memory: {
    /** Distinct tokens pushed through `verify` before the heap is measured. */
    tokens: number;
  };
}

const FULL: BenchMode = {
  name: 'full',
  rounds: 5,
  inProcess: { algorithms: ['RS256', 'ES256', 'EdDSA'], warmupMs: 100, roundMs: 150, tokens: 1_500, inFlight: 16 },
  http: {
    platforms: ['express', 'fastify'],
    warmupSeconds: 1,
    rounds: 10,
    roundSeconds: 0.8,
    connections: 10,
    distinctTokens: 1_000,
  },
  resilience: { windowSeconds: 2 },
  idp: { coldConcurrency: 1_000, floodTokens: 10_000, floodSeconds: 10, fleetSize: 4, outageTokens: 100 },
  outbound: { warmupMs: 300, roundMs: 500, fleetSize: 4, fleetCalls: 10_000 },
  memory: { tokens: 200_000 },
};

const QUICK: BenchMode = {
  name: 'quick',
  rounds: 5,
  inProcess: { algorithms: ['RS256', 'ES256', 'EdDSA'], warmupMs: 30, roundMs: 60, tokens: 500, inFlight: 16 },
  http: {
    platforms: ['express', 'fastify'],
    warmupSeconds: 0.2,
    rounds: 10,
    roundSeconds: 0.2,
    connections: 10,
    distinctTokens: 1_000,
  },
  resilience: { windowSeconds: 1.5 },
  idp: { coldConcurrency: 1_000, floodTokens: 3_000, floodSeconds: 3, fleetSize: 4, outageTokens: 100 },
  outbound: { warmupMs: 60, roundMs: 100, fleetSize: 4, fleetCalls: 10_000 },
  memory: { tokens: 20_000 },
};

const SMOKE: BenchMode = {
  name: 'smoke',
  rounds: 5,
  inProcess: { algorithms: ['ES256'], warmupMs: 5, roundMs: 10, tokens: 50, inFlight: 16 },
  http: {
    platforms: ['express'],
    warmupSeconds: 0.05,
    rounds: 10,
    roundSeconds: 0.05,
    connections: 2,
    distinctTokens: 20,
  },
  resilience: { windowSeconds: 1.2 },
  idp: { coldConcurrency: 50, floodTokens: 50, floodSeconds: 0.2, fleetSize: 2, outageTokens: 10 },
  outbound: { warmupMs: 5, roundMs: 10, fleetSize: 2, fleetCalls: 100 },
  memory: { tokens: 200 },
};

/**
 * The mode named by the command-line flags: `--smoke`, `--quick`, else full. A flag given to npm
 * without the `--` separator (`npm run bench --quick`) reaches the script only as
 * `npm_config_quick=true`, so that is read too.
 */
export function modeFromArgs(args: readonly string[], env: NodeJS.ProcessEnv = process.env): BenchMode {
  const flagged = (name: 'smoke' | 'quick'): boolean =>
    args.includes(`--${name}`) || env[`npm_config_${name}`] === 'true';
  if (flagged('smoke')) return SMOKE;
  if (flagged('quick')) return QUICK;
  return FULL;
}
