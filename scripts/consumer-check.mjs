#!/usr/bin/env node
// The consumer check (`npm test` runs it after jest): what a new user does, done by a script.
// 1. the README's quick start equals the template app's src/app.module.ts (and its tsconfig block
//    the template's tsconfig.json), so the README cannot drift from what is compiled;
//    the package README's migration diffs equal the root README's (tested by migration.spec.ts);
// 2. packs both packages (`npm pack`; run `npm run build` first) and checks each tarball: README,
//    LICENSE, every `exports` target, relative links of its markdown that land on shipped files,
//    and source maps that carry their sources;
// 3. copies examples/consumer-app (a fresh Nest 12 app, not a workspace) to a temporary
//    directory, installs the two tarballs and its own dependencies from the registry;
// 4. compiles it with its strict tsconfig (TypeScript 6) and runs its e2e test (node:test)
//    against @jwks-cache/testing.
// Any failure prints what failed and exits 1. KEEP=1 keeps the temporary directory.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const template = join(root, 'examples/consumer-app');
const packages = ['packages/nestjs', 'packages/testing'];
const started = Date.now();

class CheckFailed extends Error {}
const fail = (message) => {
  throw new CheckFailed(message);
};
const step = (message) => console.log(`consumer-check: ${message}`);

function run(command, args, cwd) {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    fail(
      `\`${command} ${args.join(' ')}\` failed in ${cwd} (exit ${error.status}):\n${error.stdout ?? ''}${error.stderr ?? ''}`,
    );
  }
}

/** The fenced blocks of one `## ` section of a markdown file, in order, as { lang, code }. */
function sectionBlocks(file, headingPrefix) {
  const text = readFileSync(file, 'utf8');
  const start = text.split('\n').findIndex((line) => line.startsWith(`## ${headingPrefix}`));
  if (start < 0) fail(`${file} has no "## ${headingPrefix}" section`);
  const lines = text.split('\n').slice(start + 1);
  const end = lines.findIndex((line) => line.startsWith('## '));
  const section = (end < 0 ? lines : lines.slice(0, end)).join('\n');
  return [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map(([, lang, code]) => ({ lang, code }));
}

function checkReadme(file) {
  const blocks = sectionBlocks(file, 'Quick start');
  const code = blocks.find((block) => block.lang === 'ts');
  if (!code) fail(`${file}: no \`\`\`ts block under "Quick start"`);
  if (blocks.findIndex((block) => block.lang === 'ts') !== blocks.findIndex((block) => block.lang !== 'sh')) {
    fail(`${file}: the quick-start code must be the first code block after the install line`);
  }
  const appModule = readFileSync(join(template, 'src/app.module.ts'), 'utf8');
  if (code.code !== appModule) {
    fail(
      `${file}: the quick-start code block differs from examples/consumer-app/src/app.module.ts; change both together`,
    );
  }
  const tsconfig = blocks.find((block) => block.lang === 'json');
  if (!tsconfig) fail(`${file}: no \`\`\`json tsconfig block under "Quick start"`);
  if (
    !isDeepStrictEqual(JSON.parse(tsconfig.code), JSON.parse(readFileSync(join(template, 'tsconfig.json'), 'utf8')))
  ) {
    fail(`${file}: the quick-start tsconfig block differs from examples/consumer-app/tsconfig.json`);
  }
  const install = blocks.find((block) => block.lang === 'sh');
  const wanted =
    install?.code
      .match(/npm i(?:nstall)? (.+)/)?.[1]
      .split(/\s+/)
      .filter((name) => !name.startsWith('-')) ?? [];
  const deps = JSON.parse(readFileSync(join(template, 'package.json'), 'utf8')).dependencies;
  for (const name of wanted) {
    if (name !== '@jwks-cache/nestjs' && !(name in deps))
      fail(`${file}: the install line names ${name}, which examples/consumer-app does not depend on`);
  }
}

/** The package README repeats the root README's migration; its diffs (the tested ones) must match. */
function checkMigrationCopy() {
  const diffs = (file) =>
    sectionBlocks(file, 'Migrating from jwks-rsa + passport-jwt')
      .filter((block) => block.lang === 'diff')
      .map((block) => block.code);
  const rootDiffs = diffs(join(root, 'README.md'));
  if (rootDiffs.length === 0) fail('README.md: no diff under "Migrating from jwks-rsa + passport-jwt"');
  if (!isDeepStrictEqual(diffs(join(root, 'packages/nestjs/README.md')), rootDiffs)) {
    fail("packages/nestjs/README.md: its migration diffs differ from README.md's (the tested ones); copy them over");
  }
}

/** Relative links of the shipped markdown files must land on a shipped file (a registry page has nothing else). */
function checkLinks(pkgDir, files, filename) {
  for (const doc of [...files].filter((path) => path.endsWith('.md'))) {
    const text = readFileSync(join(root, pkgDir, doc), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target) || target.startsWith('#')) continue;
      const path = posix.normalize(posix.join(posix.dirname(doc), target.split('#')[0]));
      if (!files.has(path)) fail(`${filename}: ${doc} links to ${target}, which is not in the tarball`);
    }
  }
}

/** Checks one tarball's file list and returns its path. */
function pack(pkgDir, into) {
  const manifest = JSON.parse(readFileSync(join(root, pkgDir, 'package.json'), 'utf8'));
  if (!existsSync(join(root, pkgDir, 'dist/index.js'))) fail(`${pkgDir}/dist is missing: run \`npm run build\` first`);
  const [info] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', into], join(root, pkgDir)));
  const files = new Set(info.files.map((file) => file.path));
  for (const required of ['package.json', 'README.md', 'LICENSE']) {
    if (!files.has(required)) fail(`${info.filename} has no ${required}`);
  }
  for (const [entry, target] of Object.entries(manifest.exports)) {
    const targets = typeof target === 'string' ? [target] : Object.values(target);
    if (typeof target !== 'string' && !target.types) fail(`${manifest.name}: exports["${entry}"] has no types`);
    for (const path of targets) {
      if (!files.has(path.replace(/^\.\//, '')))
        fail(`${info.filename}: exports["${entry}"] points at ${path}, which is not in the tarball`);
    }
  }
  // A source map is useful only if its sources come along: they are inlined (sourcesContent).
  for (const map of [...files].filter((path) => path.endsWith('.map'))) {
    const parsed = JSON.parse(readFileSync(join(root, pkgDir, map), 'utf8'));
    if (!parsed.sourcesContent || parsed.sourcesContent.length !== parsed.sources.length) {
      fail(`${info.filename}: ${map} names sources that are not shipped and has no sourcesContent`);
    }
  }
  checkLinks(pkgDir, files, info.filename);
  step(`packed ${info.filename} (${info.entryCount} files, ${Math.round(info.size / 1024)} kB)`);
  return join(into, info.filename);
}

const work = mkdtempSync(join(tmpdir(), 'jwks-cache-consumer-'));
try {
  checkReadme(join(root, 'README.md'));
  checkReadme(join(root, 'packages/nestjs/README.md'));
  checkMigrationCopy();
  step('the quick start in README.md and packages/nestjs/README.md equals examples/consumer-app');

  const tarballs = packages.map((pkgDir) => pack(pkgDir, work));
  const app = join(work, 'app');
  cpSync(template, app, { recursive: true, filter: (path) => !/[\\/](node_modules|dist)$/.test(path) });

  step("installing the tarballs and the app's dependencies");
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], app);

  step('compiling with strict TypeScript (tsc -p tsconfig.json)');
  run(join(app, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], app);

  step('running the e2e test against @jwks-cache/testing');
  const tests = readdirSync(join(app, 'dist/test')).filter((name) => name.endsWith('.e2e.js'));
  if (tests.length === 0) fail('the app compiled no dist/test/*.e2e.js');
  const report = run(
    process.execPath,
    ['--test', '--test-reporter=spec', ...tests.map((name) => join('dist/test', name))],
    app,
  );
  process.stdout.write(report);
  step(`passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  console.error(`\nconsumer-check FAILED: ${error instanceof CheckFailed ? error.message : error.stack}`);
  process.exitCode = 1;
} finally {
  if (process.env.KEEP) step(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
