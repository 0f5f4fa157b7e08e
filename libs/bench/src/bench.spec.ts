import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECTION_IDS, type BenchResults } from './report.js';

/**
 * Smoke test of the benchmark: builds what `npm run bench` runs (the two workspace packages and
 * this one, through their package exports) unless their `dist` is newer than their sources, runs it in `--smoke` mode into a temp dir, and checks
 * the reports. It asserts structure only, never a timing or a speed.
 */
/** jest runs from the repository root (its rootDir). */
const REPO_ROOT = process.cwd();
const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const PROJECTS = ['packages/testing', 'packages/nestjs', 'libs/bench'];

/** Files that are not built: tests and their helpers. */
const NOT_BUILT = /\.(spec|e2e-spec|test-helpers)\.ts$/;

/** The newest modification time (epoch ms) of the built files under `dir` whose names end with `suffix`; 0 when none. */
function newestModification(dir: string, suffix: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (entry.endsWith(suffix) && !NOT_BUILT.test(entry)) newest = Math.max(newest, statSync(join(dir, entry)).mtimeMs);
  }
  return newest;
}

/** Whether `dist` was written after the last change to the sources and build settings (`npm test` has just built every workspace). */
function isBuilt(project: string): boolean {
  const root = join(REPO_ROOT, project);
  const built = newestModification(join(root, 'dist'), '.js');
  const settings = Math.max(
    statSync(join(root, 'tsconfig.build.json')).mtimeMs,
    statSync(join(REPO_ROOT, 'tsconfig.base.json')).mtimeMs,
  );
  return built > 0 && built >= Math.max(newestModification(join(root, 'src'), '.ts'), settings);
}

function build(project: string): void {
  if (isBuilt(project)) return;
  // Type errors elsewhere (work in progress) still emit; what matters is that the bench runs.
  spawnSync(process.execPath, [TSC, '-p', join(REPO_ROOT, project, 'tsconfig.build.json')], { encoding: 'utf8' });
}

describe('bench --smoke', () => {
  let outDir: string;
  let run: ReturnType<typeof spawnSync>;

  beforeAll(() => {
    PROJECTS.forEach(build);
    outDir = mkdtempSync(join(tmpdir(), 'bench-smoke-spec-'));
    run = spawnSync(process.execPath, [join(REPO_ROOT, 'libs/bench/dist/main.js'), '--smoke', '--out', outDir], {
      encoding: 'utf8',
      timeout: 180_000,
    });
  }, 300_000);

  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  it('exits with code 0', () => {
    expect({ status: run.status, stderr: run.status === 0 ? '' : String(run.stderr) }).toEqual({
      status: 0,
      stderr: '',
    });
  });

  it('writes results.json with the environment and every section, each with rows', () => {
    const results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as BenchResults;
    expect(results.environment.mode).toBe('smoke');
    expect(results.environment.cores).toBeGreaterThan(0);
    expect(results.environment.node).toBe(process.version);
    expect(results.sections.map((section) => section.id)).toEqual([...SECTION_IDS]);
    for (const section of results.sections) expect(section.rows.length).toBeGreaterThan(0);
  });

  it('gives jwks-cache a bar verdict in every section', () => {
    const results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as BenchResults;
    for (const section of results.sections) {
      const verdicts = section.rows.map((row) => row.bar).filter((bar) => bar === 'met' || bar === 'not met');
      expect({ section: section.id, hasVerdict: verdicts.length > 0 }).toEqual({
        section: section.id,
        hasVerdict: true,
      });
    }
  });

  it('writes BENCHMARKS.md with the machine, the mode and one table per section', () => {
    const markdownPath = join(outDir, 'BENCHMARKS.md');
    expect(existsSync(markdownPath)).toBe(true);
    const markdown = readFileSync(markdownPath, 'utf8');
    const results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as BenchResults;
    expect(markdown).toContain('mode: **smoke**');
    expect(markdown).toContain(`${results.environment.cores} cores`);
    expect(markdown).toContain(`Node.js ${process.version}`);
    expect(results.environment.commit).toMatch(/^([0-9a-f]{7,}( \+ uncommitted changes)?|unknown)$/);
    expect(markdown).toContain(`code: commit ${results.environment.commit}`);
    for (const section of results.sections) {
      expect(markdown).toContain(`## ${section.title}`);
      expect(markdown).toContain(`| ${section.columns.map((column) => column.label).join(' | ')} |`);
    }
  });

  it('measures never-seen, repeated and cycled tokens in process, each sequential and 16 in flight', () => {
    const results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as BenchResults;
    const rows = (results.sections.find((section) => section.id === 'in-process') as BenchResults['sections'][number])
      .rows;
    const kinds = new Set(
      rows.map(
        (row) =>
          `${String(row.tokens)
            .split(/[:(]/)[0]
            .replace(/\d+(,\d{3})*/, 'N')
            .trim()} / ${row.inFlight}`,
      ),
    );
    expect([...kinds].sort()).toEqual([
      'never seen / 1 (sequential)',
      'never seen / 16',
      'one, repeated / 1 (sequential)',
      'one, repeated / 16',
      'pool of N, cycled / 1 (sequential)',
      'pool of N, cycled / 16',
    ]);
    const neverSeenOurs = rows.filter(
      (row) => String(row.tokens).startsWith('never seen') && row.contender === 'jwks-cache `JwksProvider.verify`',
    );
    expect(neverSeenOurs.map((row) => row.target)).toEqual(['≥ 0.95× floor', '≥ 0.95× floor']);
  });

  it('lists the per-round JwtGuard ratios of the HTTP section, one per round', () => {
    const results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as BenchResults;
    const rows = (results.sections.find((section) => section.id === 'http') as BenchResults['sections'][number]).rows;
    const ours = rows.filter((row) => row.perRoundVsFloor !== null);
    expect(ours.length).toBeGreaterThan(0);
    for (const row of ours) expect(String(row.perRoundVsFloor).split(' ')).toHaveLength(10);
  });

  it('gives the p99 of the guarded route during a key rotation and an outage beside the steady state', () => {
    const results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as BenchResults;
    const rows = (results.sections.find((section) => section.id === 'resilience') as BenchResults['sections'][number])
      .rows;
    expect(
      rows.map((row) => `${row.scenario}: ${String(row.window).startsWith('steady') ? 'steady' : 'event'}`),
    ).toEqual(['key rotation: steady', 'key rotation: event', 'IdP outage: steady', 'IdP outage: event']);
    for (const row of rows) expect(typeof row.p99).toBe('number');
  });
});
