import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository's root README. */
export const README_PATH = fileURLToPath(new URL('../../../../README.md', import.meta.url));

/** The text of a README section, from its `## heading` line to the next `## `. */
export function readmeSection(heading: string, readme = readFileSync(README_PATH, 'utf8')): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The contents of the fenced code blocks of a language (```ts, ```diff, …), in order. */
export function codeBlocks(markdown: string, language: string): string[] {
  const fence = new RegExp('^```' + language + '\\n([\\s\\S]*?)^```$', 'gm');
  return [...markdown.matchAll(fence)].map((match) => match[1]);
}

/** One file of a unified diff: `after` is `undefined` for a deleted file. */
interface FilePatch {
  path: string;
  deleted: boolean;
  lines: string[];
}

function filePatches(diff: string): FilePatch[] {
  const patches: FilePatch[] = [];
  const lines = diff.replace(/\n$/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const from = /^--- a\/(.+)$/.exec(lines[i]);
    if (from === null) {
      if (patches.length === 0) throw new Error(`diff line ${i + 1} is outside a file: ${lines[i]}`);
      patches[patches.length - 1].lines.push(lines[i]);
      continue;
    }
    const to = lines[++i];
    if (to !== `+++ b/${from[1]}` && to !== '+++ /dev/null')
      throw new Error(`diff line ${i + 1}: expected "+++ b/${from[1]}" or "+++ /dev/null"`);
    patches.push({ path: from[1], deleted: to === '+++ /dev/null', lines: [] });
  }
  return patches;
}

/** Applies one file's hunks (`@@ -a,b +c,d @@`) to its text, checking every context and removed line. */
function applyHunks(path: string, before: string, lines: string[]): string {
  const source = before.split('\n');
  const result: string[] = [];
  let next = 0;
  for (const line of lines) {
    const hunk = /^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@/.exec(line);
    if (hunk !== null) {
      const start = Number(hunk[1]) - 1;
      if (start < next) throw new Error(`${path}: hunk at line ${start + 1} overlaps the previous one`);
      result.push(...source.slice(next, start));
      next = start;
      continue;
    }
    const [mark, text] = [line[0] ?? ' ', line.slice(1)];
    if (mark === '+') {
      result.push(text);
      continue;
    }
    if (mark !== ' ' && mark !== '-') throw new Error(`${path}: not a diff line: ${line}`);
    if (source[next] !== text)
      throw new Error(
        `${path}:${next + 1}: the diff expects ${JSON.stringify(text)}, the file has ${JSON.stringify(source[next])}`,
      );
    if (mark === ' ') result.push(text);
    next++;
  }
  return [...result, ...source.slice(next)].join('\n');
}

/**
 * Applies a README diff to a set of files (path → text): the files it names are patched or
 * deleted, the others are kept as they are. Throws on any line that does not match.
 */
export function applyDiff(files: ReadonlyMap<string, string>, diff: string): Map<string, string> {
  const result = new Map(files);
  for (const patch of filePatches(diff)) {
    const before = files.get(patch.path);
    if (before === undefined) throw new Error(`the diff changes ${patch.path}, which the app does not have`);
    if (patch.deleted) {
      if (patch.lines.length > 0) throw new Error(`${patch.path}: a deleted file is shown without its lines`);
      result.delete(patch.path);
    } else {
      result.set(patch.path, applyHunks(patch.path, before, patch.lines));
    }
  }
  return result;
}
