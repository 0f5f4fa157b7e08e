import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ModeName } from './mode.js';

/** Where and when a run happened, printed at the top of the report. */
export interface RunEnvironment {
  cores: number;
  cpuModel: string;
  node: string;
  date: string;
  mode: ModeName;
  /** `git rev-parse --short HEAD`, with "+ uncommitted changes" when the work tree differs from it. */
  commit: string;
}

/** The code commit the run measured, or "unknown" outside a git work tree. */
function codeCommit(): string {
  const git = (...args: string[]): string =>
    execFileSync('git', args, {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    const head = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') === '' ? head : `${head} + uncommitted changes`;
  } catch {
    return 'unknown';
  }
}

export function describeEnvironment(mode: ModeName, now: Date = new Date()): RunEnvironment {
  const processors = cpus();
  return {
    cores: processors.length,
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    node: process.version,
    date: now.toISOString(),
    mode,
    commit: codeCommit(),
  };
}
