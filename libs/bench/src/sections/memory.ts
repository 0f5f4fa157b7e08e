import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEFAULT_JWKS_OPTIONS, DEFAULT_VERIFY_OPTIONS } from '@jwks-cache/nestjs';
import type { BenchMode } from '../mode.js';
import type { MemoryProbeReport } from '../memory-probe.js';
import { barVerdict, type Section } from '../report.js';
import { runSection } from '../section.js';

const PROBE_SCRIPT = fileURLToPath(new URL('../memory-probe.js', import.meta.url));
const MIB = 1024 * 1024;

type ProbeMessage = { type: 'report'; report: MemoryProbeReport } | { type: 'failed'; reason: string };

async function runProbe(tokens: number): Promise<MemoryProbeReport> {
  const child = fork(PROBE_SCRIPT, [String(tokens)], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message: ProbeMessage) => {
      if (message.type === 'report') resolve(message.report);
      else reject(new Error(`memory probe failed: ${message.reason}`));
    });
    child.once('exit', (code) => reject(new Error(`memory probe exited with code ${code} before reporting`)));
  });
}

/** Memory: heap after many distinct tokens, and our cache sizes against their bounds. */
export async function runMemorySection(mode: BenchMode, log: (line: string) => void): Promise<Section> {
  const verifiedBound = DEFAULT_VERIFY_OPTIONS.verifiedTokenCacheSize;
  const importedBound = DEFAULT_JWKS_OPTIONS.importedKeyCacheSize;
  const tokens = mode.memory.tokens.toLocaleString('en-US');
  let gcExposed = false;
  return runSection(
    {
      id: 'memory',
      title: 'Memory (jwks-cache, default bounds)',
      scenarios: [
        {
          name: `${tokens} distinct tokens`,
          measure: async () => {
            const report = await runProbe(mode.memory.tokens);
            gcExposed = report.gcExposed;
            return [
              {
                measure: 'heap used before the tokens',
                mib: report.heapUsedBefore / MIB,
                entries: null,
                bound: null,
                bar: null,
              },
              {
                measure: `heap used after ${tokens} distinct tokens`,
                mib: report.heapUsedAfter / MIB,
                entries: null,
                bound: null,
                bar: null,
              },
              {
                measure: 'heap growth',
                mib: (report.heapUsedAfter - report.heapUsedBefore) / MIB,
                entries: null,
                bound: null,
                bar: null,
              },
              {
                measure: 'verified-token cache',
                mib: null,
                entries: report.verifiedTokens,
                bound: verifiedBound,
                bar: barVerdict(report.verifiedTokens <= verifiedBound),
              },
              {
                measure: 'imported-key cache',
                mib: null,
                entries: report.importedKeys,
                bound: importedBound,
                bar: barVerdict(report.importedKeys <= importedBound),
              },
            ];
          },
        },
      ],
      notes: () => [
        `A child process holding one jwks-cache instance verifies ${tokens} distinct EdDSA tokens, 100 at a time${mode.name === 'full' ? '' : ` (${mode.name} mode; 200 000 in the full run)`}.`,
        gcExposed
          ? 'Heap used is read after a forced garbage collection (`--expose-gc`), before and after the tokens.'
          : 'Heap used is read without a forced garbage collection (`global.gc` was not available): figures include garbage.',
      ],
      columns: [
        { key: 'measure', label: 'measure', format: 'text' },
        { key: 'mib', label: 'MiB', format: 'decimal' },
        { key: 'entries', label: 'entries' },
        { key: 'bound', label: 'configured bound' },
        { key: 'bar', label: 'bar (within bound)', format: 'text' },
      ],
    },
    log,
  );
}
