import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

/**
 * jest only transpiles (ts-jest without diagnostics), so the type check of the tests is
 * `npm run typecheck`: it must see every TypeScript file of the repository, and `npm test` must run
 * it, after the build and before jest; `npm run lint` (ESLint with type information) follows it.
 */
/** jest runs from the repository root (its rootDir). */
const REPO_ROOT = process.cwd();
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', '.git']);
/** The consumer-app template is a user's app, not ours: `scripts/consumer-check.mjs` compiles it with its own tsconfig. */
const OWN_CHECK = ['examples/consumer-app/'];

function typeScriptFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_FOLDERS.has(entry.name) ? [] : typeScriptFilesUnder(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const toRepoPath = (path: string): string => relative(REPO_ROOT, path).split(sep).join('/');

describe('npm run typecheck', () => {
  it('covers every TypeScript file of the repository, tests and their helpers included', () => {
    const config = ts.getParsedCommandLineOfConfigFile(join(REPO_ROOT, 'tsconfig.json'), undefined, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: () => undefined,
    });
    const checked = new Set((config?.fileNames ?? []).map(toRepoPath));
    const files = typeScriptFilesUnder(REPO_ROOT)
      .map(toRepoPath)
      .filter((file) => !OWN_CHECK.some((folder) => file.startsWith(folder)));

    expect(files).toEqual(
      expect.arrayContaining([
        'test/repository/typecheck.spec.ts',
        'packages/nestjs/test/faults/memory-bounds.spec.ts',
      ]),
    );
    expect(files.filter((file) => !checked.has(file))).toEqual([]);
  });

  it('runs in npm test after the build, then the lint, before jest (the consumer check of the packed packages follows jest)', () => {
    const scripts = (
      JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    const steps = scripts['test'].split('&&').map((step) => step.trim());
    expect(steps).toEqual([
      'npm run build',
      'npm run typecheck',
      'npm run lint',
      expect.stringContaining('node_modules/jest/bin/jest.js'),
      'node scripts/consumer-check.mjs',
    ]);
    expect(scripts['typecheck']).toBe('tsc -p tsconfig.json --noEmit');
    expect(scripts['lint']).toBe('eslint .');
  });
});
