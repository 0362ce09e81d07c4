import type { SerializedError } from "../../sdk/types.ts";

/** One journal entry as replay sees it. */
export interface RecordedCall {
  seq: number;
  kind: string;
  key: string;
  status: "completed" | "failed";
  output: unknown;
  error: SerializedError | null;
  attempts: number;
  /** Attempts made before the last `runs.retry`; the retry policy counts from there. */
  attemptsBeforeRetry: number;
}

/**
 * A journal entry as the claim statements send it (see `journalTuples` in db/sql/journal-tuples.ts).
 * An entry written before migration 39 has its output in `jsonbOutput` instead; `attempts` is
 * null for one since migration 40 (see db/sql/journal-output.ts).
 */
export type JournalTuple = [
  seq: number, kind: string, key: string, status: RecordedCall["status"], output: unknown,
  error: SerializedError | null, attempts: number | null, attemptsBeforeRetry: number | null, jsonbOutput?: unknown,
];

export function recordedCalls(tuples: JournalTuple[]): RecordedCall[] {
  return tuples.map(([seq, kind, key, status, output, error, attempts, attemptsBeforeRetry, jsonbOutput]) => ({
    seq, kind, key, status, output: output ?? jsonbOutput ?? null, error, attempts: attempts ?? 1, attemptsBeforeRetry: attemptsBeforeRetry ?? 0,
  }));
}
