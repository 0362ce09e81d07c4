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
