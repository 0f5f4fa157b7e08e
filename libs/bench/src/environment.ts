import { cpus } from 'node:os';
import type { ModeName } from './mode.js';

/** Where and when a run happened, printed at the top of the report. */
export interface RunEnvironment {
  cores: number;
  cpuModel: string;
  node: string;
  date: string;
  mode: ModeName;
}

export function describeEnvironment(mode: ModeName, now: Date = new Date()): RunEnvironment {
  const processors = cpus();
  return {
    cores: processors.length,
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    node: process.version,
    date: now.toISOString(),
    mode,
  };
}
