/** One line of the results table: the engine's figure, the raw-Postgres baseline, and their ratio. */
export interface Row {
  id: string;
  row: string;
  engine: string;
  baseline: string;
  /** engine / baseline, oriented so that > 1 means the engine is slower (or uses more). */
  ratio: number | null;
  target: string;
  /** null when the target has no pass/fail reading (or was not measured). */
  met: boolean | null;
  /** The raw numbers behind the row, for latest.json. */
  data: Record<string, number | string | boolean | null | number[]>;
  note?: string;
}

/** Marks the line on which a benchmark child process hands its rows back to bench/run.ts. */
export const RESULT_PREFIX = "BENCH_RESULT ";
