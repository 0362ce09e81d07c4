import { RunNotFoundError } from "../../sdk/errors.ts";
import { checkStreamKey } from "../../sdk/stream-key.ts";
import type { RunStatus, StreamEnd, StreamInfo, StreamReset, StreamSnapshot } from "../../sdk/types.ts";
import { isFinalRunStatus, type FinalRunStatus } from "../../wire/index.ts";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
import type { Channels, Listener } from "../notify/listener.ts";
import { checkId } from "../orchestration/insert-run.ts";
import type { CommittedChunks, CommittedChunksBatch } from "./committed-chunks.ts";

/** A chunk as stored: its JSON text, sent to an SSE client as it is and parsed for everyone else. */
export type StoredStreamEvent =
  /** The chunks one read found, in order; `resets`: the stream's as of that read. */
  | { type: "chunks"; chunks: { index: number; text: string }[]; resets: number }
  | ({ type: "reset" } & StreamReset)
  | ({ type: "end" } & StreamEnd);

/** Where a reader is: the last index it has, and the resets it has seen (undefined: as many as there are). */
export interface StreamCursor {
  after: number;
  resets: number | undefined;
}

interface ReadRow {
  id: string;
  status: RunStatus;
  revision: number;
  last_index: string;
  resets: number;
  reset_from: string | null;
  indexes: string[];
  data: string[];
}

interface ListRow {
  key: string;
  last_index: string;
  chunks: string;
  bytes: string;
  resets: number;
  created_at: Date;
  updated_at: Date;
}

/** Chunks read in one statement while catching up. */
const PAGE = 1000;
/** Chunk text a follower holds from this process's appends before it leaves them to a read. */
const MAX_HANDED_BYTES = 1 << 20;
/** Followers read again this often even when nothing was heard, in case a notification was lost. */
const SAFETY_READ_MS = 5_000;

export interface StreamReadsDeps {
  db: Database;
  sql: Statements;
  channels: Channels;
  /** Wakes followers; without one they read every 250 ms. */
  listener?: () => Promise<Listener>;
  /** Chunks this process's own appends committed, handed to followers without a read. */
  committedChunks?: CommittedChunks | undefined;
}

/** Reading a run's streams: a page at a time, or followed as chunks commit. */
export class StreamReads {
  constructor(private readonly deps: StreamReadsDeps) {}

  async list(runId: string): Promise<StreamInfo[]> {
    checkId(runId, "run id");
    const { db, sql } = this.deps;
    const { rows } = await db.query<ListRow>(sql.streams.list, [runId]);
    if (rows.length === 0 && (await db.query(sql.runs.state, [runId])).rows.length === 0) throw new RunNotFoundError(runId);
    return rows.map((r) => ({
      key: r.key, lastIndex: Number(r.last_index), chunks: Number(r.chunks), bytes: Number(r.bytes), resets: r.resets,
      createdAt: r.created_at, updatedAt: r.updated_at,
    }));
  }

  async snapshot(runId: string, key: string, page: { after: number; limit: number }): Promise<StreamSnapshot> {
    const row = await this.#read(runId, key, { after: page.after, resets: undefined }, page.limit + 1);
    const hasMore = row.indexes.length > page.limit;
    const count = Math.min(row.indexes.length, page.limit);
    const chunks = Array.from({ length: count }, (_, i) => ({ index: Number(row.indexes[i]), data: JSON.parse(row.data[i]!) }));
    return {
      runId, key, chunks, lastIndex: Number(row.last_index), resets: row.resets, hasMore,
      run: { id: row.id, status: row.status, revision: row.revision },
    };
  }

  /**
   * The stream from `cursor` on: what the reader lacks (a reset first, if chunks it has were
   * superseded since), then each change as its notification arrives, until the run has finished
   * and everything was sent (`end`), or `signal` aborts.
   */
  async *follow(runId: string, key: string, cursor: StreamCursor, signal?: AbortSignal): AsyncGenerator<StoredStreamEvent> {
    const { channels } = this.deps;
    const listener = await this.deps.listener?.();
    let dirty = true;
    let wake: (() => void) | undefined;
    const kick = () => {
      dirty = true;
      wake?.();
    };
    const handed: CommittedChunksBatch[] = [];
    let handedBytes = 0;
    const offs = listener
      ? [
          // Another stream's commit, named as such, is not this one's: no read.
          listener.onRun(channels.stream, runId, (change) => (change.streamKey === undefined || change.streamKey === key) && kick()),
          listener.onRun(channels.run, runId, (change) => change.finished && kick()),
          listener.onReconnect(kick),
        ]
      : [];
    const committed = this.deps.committedChunks;
    if (committed) {
      offs.push(committed.subscribe(runId, (batch) => {
        if (batch.key !== key) return;
        for (const chunk of batch.chunks ?? []) handedBytes += chunk.text.length;
        handed.push(batch);
        // A reader that does not keep up (a slow client) reads from the table later instead of
        // holding a run's chunks in memory.
        if (handedBytes > MAX_HANDED_BYTES) {
          handed.length = handedBytes = 0;
          kick();
        } else wake?.();
      }));
    }
    signal?.addEventListener("abort", kick);
    let { after, resets } = cursor;
    try {
      for (;;) {
        if (!dirty && handed.length > 0) {
          // Chunks this process committed follow on from what the reader has: sent without a
          // read. The NOTIFY of their commit still comes and reads (it may be a reset from
          // elsewhere, which it cannot be told from); what it finds then was sent already.
          const next = takeHanded(handed.splice(0), after, resets);
          handedBytes = 0;
          if (next === undefined) dirty = true;
          else if (next.length > 0) {
            after = next.at(-1)!.index;
            yield { type: "chunks", chunks: next, resets: resets! };
          }
          continue;
        }
        if (!dirty) {
          let timer: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(() => {
              dirty = true;
              resolve();
            }, listener ? SAFETY_READ_MS : 250);
          });
          clearTimeout(timer);
          wake = undefined;
          continue;
        }
        if (signal?.aborted) return;
        dirty = false;
        const row = await this.#read(runId, key, { after, resets }, PAGE);
        if (row.reset_from !== null && Number(row.reset_from) <= after) {
          const fromIndex = Number(row.reset_from);
          yield { type: "reset", fromIndex, resets: row.resets };
          after = fromIndex - 1;
        }
        resets = row.resets;
        if (row.indexes.length > 0) {
          const chunks = row.indexes.map((index, i) => ({ index: Number(index), text: row.data[i]! }));
          after = chunks.at(-1)!.index;
          yield { type: "chunks", chunks, resets: row.resets };
        }
        if (row.indexes.length === PAGE) dirty = true;
        else if (isFinalRunStatus(row.status)) {
          yield { type: "end", runId, key, status: row.status as FinalRunStatus, lastIndex: Number(row.last_index) };
          return;
        }
      }
    } finally {
      for (const off of offs) off();
      signal?.removeEventListener("abort", kick);
    }
  }

  async #read(runId: string, key: string, cursor: StreamCursor, limit: number): Promise<ReadRow> {
    checkId(runId, "run id");
    checkStreamKey(key);
    const { db, sql } = this.deps;
    const { rows } = await db.query<ReadRow>(sql.streams.read, [runId, key, cursor.after, limit, cursor.resets ?? null]);
    if (!rows[0]) throw new RunNotFoundError(runId);
    return rows[0];
  }
}

/**
 * The chunks of `batches` after `after`, if they follow on from it at the reader's `resets`;
 * undefined when the reader must read instead (a gap: chunks committed elsewhere, or superseded
 * ones skipped; other resets; a batch whose indexes are unknown).
 */
function takeHanded(batches: CommittedChunksBatch[], after: number, resets: number | undefined): { index: number; text: string }[] | undefined {
  const out: { index: number; text: string }[] = [];
  let last = after;
  for (const batch of batches) {
    if (batch.resets !== resets || !batch.chunks) return undefined;
    for (const chunk of batch.chunks) {
      if (chunk.index <= last) continue;
      if (chunk.index !== last + 1) return undefined;
      out.push(chunk);
      last = chunk.index;
    }
  }
  return out;
}
