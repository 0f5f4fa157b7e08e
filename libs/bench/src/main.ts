/**
 * `npm run bench [-- [--quick | --smoke] [--out DIR]]`: runs every section and writes
 * `BENCHMARKS.md` (repo root) and `libs/bench/results.json`, or both into DIR when given
 * (`BENCH_OUT_DIR` works too). `--smoke` is a seconds-long run that defaults to a temp dir.
 * The root script ends in `--`, so what follows the caller's `--` reaches this process as is.
 */
import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeEnvironment } from './environment.js';
import { modeFromArgs, type BenchMode } from './mode.js';
import { writeReports, type Section } from './report.js';
import { runHttpSection } from './sections/http.js';
import { runIdpLoadSection } from './sections/idp-load.js';
import { runInProcessSection } from './sections/in-process.js';
import { runMemorySection } from './sections/memory.js';
import { runOutboundSection } from './sections/outbound.js';
import { runResilienceSection } from './sections/resilience.js';
import { runTenantFloodSection } from './sections/tenant-flood.js';
import { runDpopSection } from './sections/dpop.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO_ROOT = join(PACKAGE_DIR, '..', '..');

type SectionRunner = (mode: BenchMode, log: (line: string) => void) => Promise<Section>;

const SECTIONS: SectionRunner[] = [
  runInProcessSection,
  runHttpSection,
  runResilienceSection,
  runIdpLoadSection,
  runTenantFloodSection,
  runDpopSection,
  runOutboundSection,
  runMemorySection,
];

/** Where the two reports go. */
function outputPaths(args: readonly string[], mode: BenchMode): { markdown: string; json: string } {
  const flag = args.indexOf('--out');
  const dir = flag >= 0 ? args[flag + 1] : process.env.BENCH_OUT_DIR;
  if (dir) return { markdown: join(dir, 'BENCHMARKS.md'), json: join(dir, 'results.json') };
  if (mode.name === 'smoke') {
    const temp = mkdtempSync(join(tmpdir(), 'jwks-cache-bench-'));
    return { markdown: join(temp, 'BENCHMARKS.md'), json: join(temp, 'results.json') };
  }
  return { markdown: join(REPO_ROOT, 'BENCHMARKS.md'), json: join(PACKAGE_DIR, 'results.json') };
}

async function main(args: readonly string[]): Promise<void> {
  const mode = modeFromArgs(args);
  const started = performance.now();
  const log = (line: string): void => {
    process.stderr.write(`[bench ${((performance.now() - started) / 1_000).toFixed(1)} s] ${line}\n`);
  };
  log(`mode: ${mode.name}`);
  const sections: Section[] = [];
  for (const run of SECTIONS) sections.push(await run(mode, log));
  const paths = outputPaths(args, mode);
  await writeReports({ environment: describeEnvironment(mode.name), sections }, paths.markdown, paths.json);
  log(`wrote ${paths.markdown} and ${paths.json}`);
}

main(process.argv.slice(2)).then(
  // Libraries under test may keep timers (background refreshes) alive; the run is over.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
