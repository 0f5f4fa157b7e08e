import { barVerdict, type Cell, type Column, type Section, type SectionId } from './report.js';

/** One row of a section's table. */
export type Row = Record<string, Cell>;

/** One scenario of a section: what the log says while it runs, and how its rows are measured. */
export interface Scenario {
  name: string;
  measure(): Promise<Row[]>;
}

/** A section as a table of scenarios; the notes may depend on what was measured. */
export interface SectionPlan {
  id: SectionId;
  title: string;
  columns: Column[];
  scenarios: Scenario[];
  notes: string[] | (() => string[]);
}

/** Runs the scenarios of `plan` in order and gathers their rows into the section. */
export async function runSection(plan: SectionPlan, log: (line: string) => void): Promise<Section> {
  const rows: Row[] = [];
  for (const scenario of plan.scenarios) {
    log(`${plan.id}: ${scenario.name}`);
    rows.push(...(await scenario.measure()));
  }
  const notes = typeof plan.notes === 'function' ? plan.notes() : plan.notes;
  return { id: plan.id, title: plan.title, notes, columns: plan.columns, rows };
}

/** The "target" and "bar" cells: filled on the row that carries a bar, empty elsewhere; no `met` means informative. */
export function barCells(carriesBar: boolean, target: string | undefined, met?: boolean): { target: Cell; bar: Cell } {
  if (!carriesBar) return { target: null, bar: null };
  return { target: target ?? 'informative', bar: barVerdict(met ?? null) };
}
