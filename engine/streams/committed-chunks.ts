import type { Committed } from "../notify/committed.ts";

/**
 * What one of this process's statements committed to a stream: the chunks in index order (each
 * one's JSON text), with the stream's resets as of that commit. `chunks` is undefined when the
 * statement cannot say exactly which indexes its chunks took (a replay skipped some): followers
 * read the stream again.
 */
export interface CommittedChunksBatch {
  key: string;
  resets: number;
  chunks: { index: number; text: string }[] | undefined;
}

/** Stream chunks this process has just committed, for its own followers (an SSE reader, a backend's `streams.read`). */
export type CommittedChunks = Committed<CommittedChunksBatch>;
