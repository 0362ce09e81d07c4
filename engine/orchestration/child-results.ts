import type { ChildRunResult, RunStatus, SerializedError } from "../../sdk/types.ts";
import { isFinalRunStatus } from "../../wire/index.ts";
import { decode } from "../serialize.ts";

export interface ChildRow {
  id: string;
  status: RunStatus;
  output: unknown;
  error: SerializedError | null;
}

/** The children's results in the order they were triggered, or null while any is unfinished. */
export function childResults(ids: string[], rows: ChildRow[]): ChildRunResult[] | null {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const results: ChildRunResult[] = [];
  for (const id of ids) {
    const row = byId.get(id);
    if (!row) {
      results.push({ id, ok: false, status: "FAILURE", error: { name: "RunNotFoundError", message: `No run with id "${id}"`, code: "RUN_NOT_FOUND" } });
      continue;
    }
    if (!isFinalRunStatus(row.status)) return null;
    if (row.status === "SUCCESS") results.push({ id, ok: true, output: decode(row.output) });
    else {
      const error = row.error ?? { name: "Error", message: `Run ${id} ended ${row.status}` };
      results.push({ id, ok: false, status: row.status === "CANCELED" ? "CANCELED" : "FAILURE", error });
    }
  }
  return results;
}
