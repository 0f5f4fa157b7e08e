import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

/**
 * DESIGN.md's layout: a folder of src may use those below it in this list, never one above. Read
 * from the import statements of every non-test source file.
 */
const ORDER = [
  'config',
  'guard',
  'passport',
  'health',
  'token-cache',
  'dpop',
  'jwks',
  'discovery',
  'store',
  'observability',
  'internal',
  'errors.ts',
];

/**
 * Runtime imports up the list that are known and allowed for now (docs/architecture.md, "Known
 * gaps"): every service reads the resolved configuration and the option types of `config/`;
 * `passport/` answers refusals with the mapping `guard/` owns, as DESIGN.md says it shares.
 * Type-only imports carry no runtime dependency and are not checked.
 */
const ALLOWED_UPWARD: ReadonlyArray<readonly [from: string, to: string]> = [
  ['guard', 'config'],
  ['token-cache', 'config'],
  ['dpop', 'config'],
  ['jwks', 'config'],
  ['discovery', 'config'],
  ['store', 'config'],
  ['passport', 'guard'],
];

const SRC = join(process.cwd(), 'packages/nestjs/src');
const IMPORT = /^(?:import|export)\s+(type\s+)?[^;]*?from\s+'(\.[^']+)'/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The layer of a path under src, or `undefined` for the root files (the module and its definition). */
function layerOf(path: string): string | undefined {
  const [first] = relative(SRC, path).split(sep);
  return first !== undefined && ORDER.includes(first) ? first : undefined;
}

function upwardImports(): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = layerOf(file);
    if (from === undefined) continue;
    for (const [, typeOnly, specifier] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      if (typeOnly !== undefined) continue;
      const target = normalize(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
      const to = layerOf(target);
      const toRoot = to === undefined && relative(SRC, target).split(sep).length === 1;
      if (toRoot && from !== undefined) {
        // The root files hold the module: only its injection tokens may be used from below.
        if (!target.endsWith('jwks-cache.module-definition.ts'))
          found.push(`${relative(SRC, file)} → ${relative(SRC, target)}`);
        continue;
      }
      if (to === undefined || ORDER.indexOf(to) >= ORDER.indexOf(from)) continue;
      if (ALLOWED_UPWARD.some(([a, b]) => a === from && b === to)) continue;
      found.push(`${relative(SRC, file)} → ${relative(SRC, target)}`);
    }
  }
  return found;
}

describe('the layout of packages/nestjs/src', () => {
  it('has no runtime import from a folder to one above it (but the listed, documented ones)', () => {
    expect(upwardImports()).toEqual([]);
  });

  it('reads the imports it checks (a folder that imports none below it would make the rule vacuous)', () => {
    const files = sourceFiles(SRC);
    expect(files.some((file) => file.endsWith(join('jwks', 'jwks-provider.ts')))).toBe(true);
    const imports = readFileSync(join(SRC, 'jwks', 'jwks-provider.ts'), 'utf8').match(IMPORT) ?? [];
    expect(imports.some((line) => line.includes('../store/cache-store.js'))).toBe(true);
  });
});
