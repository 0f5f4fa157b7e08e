/**
 * The memory probe, run as a child process with `--expose-gc` so that its heap holds nothing but
 * one jwks-cache instance: pushes N distinct tokens through `JwksProvider.verify`, a batch of
 * `MINT_BATCH` at a time (minted and verified together, so the crypto thread pool is kept busy),
 * and reports the heap and the cache sizes over IPC. Argument: N.
 */
import 'reflect-metadata';
import { LocalIssuer } from '@jwks-cache/testing';
import { startOurs } from './ours.js';
import { AUDIENCE, MINT_BATCH } from './tokens.js';

/** What the probe reports. Heap figures in bytes. */
export interface MemoryProbeReport {
  tokens: number;
  gcExposed: boolean;
  heapUsedBefore: number;
  heapUsedAfter: number;
  verifiedTokens: number;
  importedKeys: number;
}

function settledHeapUsed(): number {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

async function probe(count: number): Promise<MemoryProbeReport> {
  const idp = await LocalIssuer.start({ algorithms: ['EdDSA'] });
  const ours = await startOurs({
    issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE, algorithms: ['EdDSA'] }],
  });
  try {
    await ours.provider.verify(await idp.mint({ aud: AUDIENCE, sub: 'memory-warm' }));
    const heapUsedBefore = settledHeapUsed();
    for (let first = 0; first < count; first += MINT_BATCH) {
      const ids = Array.from(
        { length: Math.min(MINT_BATCH, count - first) },
        (_, offset) => `memory-${first + offset}`,
      );
      const tokens = await Promise.all(ids.map((id) => idp.mint({ aud: AUDIENCE, sub: id, jti: id })));
      await Promise.all(tokens.map((token) => ours.provider.verify(token)));
    }
    const heapUsedAfter = settledHeapUsed();
    const stats = ours.provider.stats();
    return {
      tokens: count,
      gcExposed: typeof globalThis.gc === 'function',
      heapUsedBefore,
      heapUsedAfter,
      verifiedTokens: stats.verifiedTokens.size,
      importedKeys: stats.importedKeys.size,
    };
  } finally {
    await ours.close();
    await idp.close();
  }
}

probe(Number(process.argv[2]))
  .then((report) => process.send?.({ type: 'report', report }))
  .catch((error: unknown) =>
    process.send?.({ type: 'failed', reason: error instanceof Error ? error.message : String(error) }),
  )
  .finally(() => process.disconnect?.());
