import { setTimeout as sleep } from 'node:timers/promises';
import type { IssuerOptions } from '@jwks-cache/nestjs';
import { LocalIssuer } from '@jwks-cache/testing';
import type { BenchMode } from '../mode.js';
import { startOurs } from '../ours.js';
import type { Column, Section } from '../report.js';
import { barCells, runSection, type Row } from '../section.js';
import { AUDIENCE, MINT_BATCH } from '../tokens.js';

const ALG = 'ES256';
/** Tokens of one burst: the "2 000 tokens with random tenants in one second" of the issue. */
const BURST = 2_000;
const MIB = 1_048_576;

const COLUMNS: Column[] = [
  { key: 'scenario', label: 'scenario', format: 'text' },
  { key: 'requests', label: 'IdP requests', format: 'integer' },
  { key: 'verified', label: 'verified', format: 'integer' },
  { key: 'refused', label: 'refused', format: 'integer' },
  { key: 'live', label: 'live issuers', format: 'integer' },
  { key: 'keySets', label: 'key sets', format: 'integer' },
  { key: 'heap', label: 'heap growth (MiB)', format: 'decimal' },
  { key: 'target', label: 'target', format: 'text' },
  { key: 'bar', label: 'bar', format: 'text' },
];

/** Heap in use, after a collection when the run exposes one (`--expose-gc`). */
function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

/** `count` tokens of the local issuer's key, each with the `iss` of a random tenant under `<origin>/t/`. */
async function randomTenantTokens(idp: LocalIssuer, count: number, label: string): Promise<string[]> {
  const origin = new URL(idp.issuer).origin;
  const tokens: string[] = [];
  for (let first = 0; first < count; first += MINT_BATCH) {
    const size = Math.min(MINT_BATCH, count - first);
    tokens.push(
      ...(await Promise.all(
        Array.from({ length: size }, (_, i) => {
          const tenant = `${label}-${first + i}-${Math.random().toString(36).slice(2, 10)}`;
          return idp.mint({ aud: AUDIENCE, iss: `${origin}/t/${tenant}`, sub: tenant }, { alg: ALG });
        }),
      )),
    );
  }
  return tokens;
}

interface Outcome {
  verified: number;
  refused: number;
}

async function verifyAll(verify: (token: string) => Promise<unknown>, tokens: string[]): Promise<Outcome> {
  const settled = await Promise.allSettled(tokens.map((token) => verify(token)));
  const verified = settled.filter((outcome) => outcome.status === 'fulfilled').length;
  return { verified, refused: settled.length - verified };
}

/**
 * One jwks-cache instance with an issuer template on a fresh local issuer; `jwksUri` of the
 * template: `per-tenant` (`<origin>/t/{tenant}/keys`, which the local issuer does not serve, as
 * no real IdP serves keys for a tenant an attacker made up) or `shared` (the issuer's JWKS, as
 * Entra ID's common keys).
 */
async function withTemplate<T>(
  jwks: 'per-tenant' | 'shared',
  bounds: Pick<IssuerOptions, 'maxIssuers' | 'newIssuersPerSecond'>,
  run: (context: {
    idp: LocalIssuer;
    verify: (token: string) => Promise<unknown>;
    stats: () => { live: number; keySets: number };
  }) => Promise<T>,
): Promise<T> {
  const idp = await LocalIssuer.start({ algorithms: [ALG] });
  const origin = new URL(idp.issuer).origin;
  const ours = await startOurs({
    issuers: [
      {
        issuer: `${origin}/t/{tenant}`,
        jwksUri: jwks === 'shared' ? idp.jwksUri : `${origin}/t/{tenant}/keys`,
        audience: AUDIENCE,
        algorithms: [ALG],
        ...bounds,
      },
    ],
  });
  try {
    return await run({
      idp,
      verify: (token) => ours.provider.verify(token),
      stats: () => {
        const stats = ours.provider.stats();
        return { live: Object.values(stats.templates)[0]?.live ?? 0, keySets: Object.keys(stats.keySets).length };
      },
    });
  } finally {
    await ours.close();
    await idp.close();
  }
}

async function burst(): Promise<Row[]> {
  return withTemplate('per-tenant', {}, async ({ idp, verify, stats }) => {
    const tokens = await randomTenantTokens(idp, BURST, 'burst');
    const before = heapUsed();
    idp.resetCounters();
    const outcome = await verifyAll(verify, tokens);
    const requests = idp.requests.total;
    return [
      {
        scenario: `${BURST.toLocaleString('en-US')} tokens with random tenants at once (default bounds: 10 new issuers/s)`,
        requests,
        ...outcome,
        ...stats(),
        heap: (heapUsed() - before) / MIB,
        ...barCells(true, '≤ 11 IdP requests', requests <= 11),
      },
    ];
  });
}

async function sustained(rounds: number): Promise<Row[]> {
  return withTemplate('per-tenant', { maxIssuers: 50 }, async ({ idp, verify, stats }) => {
    const before = heapUsed();
    idp.resetCounters();
    const total: Outcome = { verified: 0, refused: 0 };
    for (let round = 0; round < rounds; round++) {
      const outcome = await verifyAll(verify, await randomTenantTokens(idp, BURST, `round${round}`));
      total.verified += outcome.verified;
      total.refused += outcome.refused;
      // A new second for the admission window.
      await sleep(1_000);
    }
    const requests = idp.requests.total;
    return [
      {
        scenario: `${rounds} bursts of ${BURST.toLocaleString('en-US')} random tenants, 1 s apart (maxIssuers 50)`,
        requests,
        ...total,
        ...stats(),
        heap: (heapUsed() - before) / MIB,
        ...barCells(true, `≤ ${10 * rounds + 1} IdP requests (10 per second)`, requests <= 10 * rounds + 1),
      },
    ];
  });
}

async function sharedKeys(tenants: number): Promise<Row[]> {
  return withTemplate('shared', { newIssuersPerSecond: tenants }, async ({ idp, verify, stats }) => {
    const tokens = await randomTenantTokens(idp, tenants, 'tenant');
    const before = heapUsed();
    idp.resetCounters();
    const outcome = await verifyAll(verify, tokens);
    const requests = idp.requests.total;
    return [
      {
        scenario: `${tenants.toLocaleString('en-US')} genuine tenants sharing one jwksUri (Entra ID's common keys; newIssuersPerSecond ${tenants.toLocaleString('en-US')})`,
        requests,
        ...outcome,
        ...stats(),
        heap: (heapUsed() - before) / MIB,
        ...barCells(true, '1 IdP request, all verified', requests === 1 && outcome.verified === tenants),
      },
    ];
  });
}

/** Issuer templates under a flood of tokens naming random tenants: what it costs the IdP, and the heap. */
export async function runTenantFloodSection(mode: BenchMode, log: (line: string) => void): Promise<Section> {
  const rounds = mode.name === 'full' ? 10 : mode.name === 'quick' ? 3 : 1;
  const tenants = mode.name === 'smoke' ? 100 : 1_000;
  return runSection(
    {
      id: 'tenant-flood',
      title: 'Identity-provider load: issuer templates under a random-tenant flood',
      columns: COLUMNS,
      scenarios: [
        { name: 'burst of random tenants', measure: burst },
        { name: 'sustained random-tenant flood', measure: () => sustained(rounds) },
        { name: 'many tenants, one shared key set', measure: () => sharedKeys(tenants) },
      ],
      notes: [
        "jwks-cache only (the references have no issuer templates). One `LocalIssuer` (ES256); tokens carry `iss` = `<origin>/t/<random tenant>` and are signed with the issuer's key.",
        "Template `issuer: <origin>/t/{tenant}`. Random tenants: `jwksUri: <origin>/t/{tenant}/keys`, which the issuer answers 404 (no IdP serves keys for a tenant an attacker made up), so an admitted one fails and is remembered for the cooldown. Shared: the issuer's own JWKS for every tenant.",
        '"IdP requests" counts every request the issuer received during the scenario; "refused" counts `UnknownIssuerError` (over the admission bound) and `KeySetUnavailableError` (admitted, no keys). Heap growth is measured after a GC when the run exposes one (`--expose-gc`), else raw.',
      ],
    },
    log,
  );
}
