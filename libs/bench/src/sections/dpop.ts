import { LocalIssuer } from '@jwks-cache/testing';
import { EmbeddedJWK, jwtVerify } from 'jose';
import type { BenchAlgorithm, BenchMode } from '../mode.js';
import type { Column, Section } from '../report.js';
import { interleavedRounds, pairedRatio, type Series } from '../rounds.js';
import { startOurs, type OurInstance } from '../ours.js';
import { barCells, runSection, type Row, type Scenario } from '../section.js';
import { opsPerSecondOnce, summarize } from '../stats.js';

const AUDIENCE = 'bench-api';
const URL_OF_REQUEST = 'http://127.0.0.1:3000/orders';

/**
 * How one request is checked: a bearer token; a DPoP-bound token with a fresh proof; and the
 * floor, the proof's signature alone (jose `jwtVerify` with the proof's embedded `jwk`, nothing else).
 */
type RequestKind = 'bearer' | 'dpop' | 'floor';
const KINDS: RequestKind[] = ['bearer', 'dpop', 'floor'];

/** Bar: a whole DPoP request (token, every proof check, the jti claimed) ≥ 0.90× the proof's signature check alone. */
const DPOP_VS_FLOOR = 0.9;

/**
 * One request per proof: every round verifies its own list of distinct proofs (a proof is accepted
 * once: the jti replay cache refuses it the second time), each with the same access token, so the
 * token itself is a verified-token cache hit and what differs is the proof's checks.
 */
async function measureRequests(
  ours: OurInstance,
  bearer: string,
  bound: string,
  proofsPerRound: string[][],
  inFlight: number,
  rounds: number,
): Promise<Map<RequestKind, Series<number>>> {
  let round = 0;
  const bearerRequest = { method: 'GET', url: URL_OF_REQUEST, headers: { authorization: `Bearer ${bearer}` } };
  return interleavedRounds(
    KINDS,
    rounds,
    async (kind) => {
      // Round r (the warm-up is -1) uses list r + 1: the floor keeps no replay cache, so it may read the list DPoP reads.
      const proofs = proofsPerRound[round];
      if (kind === 'bearer')
        return opsPerSecondOnce(proofs, () => ours.provider.verifyRequest(bearerRequest), inFlight);
      if (kind === 'floor')
        return opsPerSecondOnce(proofs, (proof) => jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' }), inFlight);
      return opsPerSecondOnce(
        proofs,
        (proof) =>
          ours.provider.verifyRequest({
            method: 'GET',
            url: URL_OF_REQUEST,
            headers: { authorization: `DPoP ${bound}`, dpop: proof },
          }),
        inFlight,
      );
    },
    { onRound: (measured) => (round = measured + 1) },
  );
}

const REQUEST_LABELS: Record<RequestKind, string> = {
  bearer: 'Bearer, token repeated (verified-token cache hit)',
  dpop: 'DPoP, same bound token, a fresh proof per request',
  floor: "floor: the proof's signature alone (jose jwtVerify, EmbeddedJWK)",
};

function rowsOf(alg: BenchAlgorithm, inFlight: number, series: Map<RequestKind, Series<number>>): Row[] {
  const figuresOf = (kind: RequestKind): number[] | undefined => {
    const found = series.get(kind);
    return found && 'rounds' in found ? found.rounds : undefined;
  };
  const bearerFigures = figuresOf('bearer');
  return KINDS.map((kind) => {
    const outcome = series.get(kind)!;
    const stats = 'rounds' in outcome ? summarize(outcome.rounds) : undefined;
    // How many bearer requests cost as much as one DPoP request (paired by round).
    const costVsBearer = stats && kind === 'dpop' && bearerFigures ? pairedRatio(bearerFigures, stats.rounds) : null;
    const bearerMedian = bearerFigures ? summarize(bearerFigures).median : undefined;
    const extraMicros = stats && kind !== 'bearer' && bearerMedian ? 1e6 / stats.median - 1e6 / bearerMedian : null;
    const vsFloor = stats && kind === 'dpop' ? pairedRatio(stats.rounds, figuresOf('floor')) : null;
    return {
      proofAlg: kind === 'bearer' ? '—' : alg,
      request: REQUEST_LABELS[kind],
      inFlight: inFlight === 1 ? '1 (sequential)' : String(inFlight),
      median: stats ? stats.median : `failed (${(outcome as { failure: string }).failure})`,
      min: stats?.min ?? null,
      max: stats?.max ?? null,
      costVsBearer,
      extraMicros,
      vsFloor,
      ...barCells(kind === 'dpop', `≥ ${DPOP_VS_FLOOR}× floor`, (vsFloor ?? 0) >= DPOP_VS_FLOOR),
    };
  });
}

function scenariosOf(
  idp: LocalIssuer,
  alg: BenchAlgorithm,
  mode: BenchMode,
  ours: () => Promise<OurInstance>,
): Scenario[] {
  const proofsPerRound = Math.max(20, Math.floor(mode.inProcess.tokens / 3));
  return [1, mode.inProcess.inFlight].map((inFlight) => ({
    name: `DPoP proof ${alg} vs Bearer, ${inFlight} in flight`,
    measure: async () => {
      const instance = await ours();
      const key = await idp.dpopKey(alg);
      const bearer = await idp.mint({ aud: AUDIENCE, sub: 'bench' });
      const bound = await idp.mint({ aud: AUDIENCE, sub: 'bench' }, { dpop: key });
      // Warm both tokens into the verified-token cache and the proof key into its import cache.
      await instance.provider.verifyRequest({
        method: 'GET',
        url: URL_OF_REQUEST,
        headers: { authorization: `Bearer ${bearer}` },
      });
      await instance.provider.verifyRequest({
        method: 'GET',
        url: URL_OF_REQUEST,
        headers: {
          authorization: `DPoP ${bound}`,
          dpop: await key.proof({ method: 'GET', url: URL_OF_REQUEST, accessToken: bound }),
        },
      });
      // One list of distinct proofs per round (the warm-up round included), minted before any is measured.
      const lists: string[][] = [];
      for (let round = 0; round <= mode.rounds; round++) {
        const list: string[] = [];
        for (let i = 0; i < proofsPerRound; i++)
          list.push(await key.proof({ method: 'GET', url: URL_OF_REQUEST, accessToken: bound }));
        lists.push(list);
      }
      return rowsOf(alg, inFlight, await measureRequests(instance, bearer, bound, lists, inFlight, mode.rounds));
    },
  }));
}

const COLUMNS: Column[] = [
  { key: 'proofAlg', label: 'proof alg', format: 'text' },
  { key: 'request', label: 'request', format: 'text' },
  { key: 'inFlight', label: 'in flight', format: 'text' },
  { key: 'median', label: 'requests/s (median)' },
  { key: 'min', label: 'min' },
  { key: 'max', label: 'max' },
  { key: 'costVsBearer', label: 'cost vs Bearer', format: 'ratio' },
  { key: 'extraMicros', label: 'extra µs per request' },
  { key: 'vsFloor', label: 'vs floor', format: 'ratio' },
  { key: 'target', label: 'target', format: 'text' },
  { key: 'bar', label: 'bar', format: 'text' },
];

/** What a DPoP proof costs on top of a bearer token: `JwksProvider.verifyRequest`, per proof algorithm. */
export async function runDpopSection(mode: BenchMode, log: (line: string) => void): Promise<Section> {
  const idp = await LocalIssuer.start({ algorithms: ['ES256'] });
  let instance: Promise<OurInstance> | undefined;
  const ours = (): Promise<OurInstance> =>
    (instance ??= startOurs({
      issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE, dpop: { mode: 'allowed' } }],
    }));
  try {
    return await runSection(
      {
        id: 'dpop',
        title: 'DPoP (RFC 9449): a proof per request vs a bearer token (requests/s, in process)',
        columns: COLUMNS,
        scenarios: mode.inProcess.algorithms.flatMap((alg) => scenariosOf(idp, alg, mode, ours)),
        notes: [
          '`JwksProvider.verifyRequest({ method, url, headers })` with the defaults, in process (no HTTP). The access token (ES256) is the same on every request of a row, so it is a verified-token cache hit in both rows: the difference is the proof. A DPoP request checks the proof in full every time (RFC 9449 §4.3: typ, alg, public jwk, signature, htm, htu, iat, ath, cnf.jkt) and claims its jti once in the in-process replay cache (no Redis here).',
          `Each round verifies its own list of distinct proofs, minted before the rounds (a proof is accepted once). "cost vs Bearer" is paired: the median over the rounds of Bearer requests/s ÷ DPoP requests/s in the same round (how many bearer requests cost one DPoP request); "extra µs per request" is the difference of the medians' per-request times. The floor verifies the same proofs with jose alone (signature and typ, the key imported from the proof each time); "vs floor" is paired the same way. Bar: a whole DPoP request ≥ ${DPOP_VS_FLOOR}× the floor.`,
        ],
      },
      log,
    );
  } finally {
    await (await instance)?.close();
    await idp.close();
  }
}
