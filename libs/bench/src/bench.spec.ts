import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECTION_IDS, type BenchResults } from './report.js';

/**
 * Smoke test of the benchmark: builds what `npm run bench` runs (the two workspace packages and
 * this one, through their package exports), runs it in `--smoke` mode into a temp dir, and checks
 * the reports. It asserts structure only, never a timing or a speed.
 */
/** jest runs from the repository root (its rootDir). */
const REPO_ROOT = process.cwd();
const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const PROJECTS = ['packages/testing', 'packages/nestjs', 'libs/bench'];

function build(project: string): void {
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
    expect({ status: run.status, stderr: run.status === 0 ? '' : String(run.stderr) }).toEqual({ status: 0, stderr: '' });
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
      expect({ section: section.id, hasVerdict: verdicts.length > 0 }).toEqual({ section: section.id, hasVerdict: true });
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
    for (const section of results.sections) {
      expect(markdown).toContain(`## ${section.title}`);
      expect(markdown).toContain(`| ${section.columns.map((column) => column.label).join(' | ')} |`);
    }
  });
});
