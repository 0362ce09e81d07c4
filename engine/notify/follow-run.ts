import type { RunUpdate } from "../../sdk/backend.ts";
import { RunNotFoundError } from "../../sdk/errors.ts";
import type { Run } from "../../sdk/types.ts";
import type { Database } from "../db/database.ts";
import { fromJsonJournalRow, toRun, type JsonJournalRow, type RunReadRow } from "../db/rows.ts";
import type { Statements } from "../db/sql/index.ts";
import { journalPush } from "./journal-push.ts";
import { changedRuns, type Channels, type Listener } from "./listener.ts";

export interface FollowDeps {
  db: Database;
  sql: Statements;
  channels: Channels;
  listener: Listener;
}

/** Resolves the next `wait()` once `signal()` was called since the last one (or at once when `pending`). */
export function changeSignal(pending: boolean) {
  let wake: (() => void) | undefined;
  return {
    signal() {
      pending = true;
      wake?.();
    },
    async wait() {
      if (!pending) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      pending = false;
    },
  };
}

/**
 * A run's journal entries and the run itself, from the start, then as notifications say they
 * changed: each read takes what came after the last revision sent, so a burst of changes costs
 * one read. Ends after the finished run, or when `signal` aborts.
 */
export async function* followRun(deps: FollowDeps, runId: string, abort?: AbortSignal): AsyncGenerator<RunUpdate> {
  const { db, sql, channels, listener } = deps;
  const changed = changeSignal(true);
  // Listening before the first read: a change committed during it is read after it.
  const offRun = listener.onRun(channels.run, runId, changed.signal);
  // Notifications sent while the LISTEN connection was down are lost: read again after it is back.
  const offReconnect = listener.onReconnect(changed.signal);
  abort?.addEventListener("abort", changed.signal);
  let sent = 0;
  try {
    for (;;) {
      await changed.wait();
      if (abort?.aborted) return;
      const { rows } = await db.query<RunReadRow & { entries: JsonJournalRow[] }>(sql.feed.runSince, [runId, sent]);
      if (!rows[0]) throw new RunNotFoundError(runId);
      const run = toRun(rows[0]);
      for (const row of rows[0].entries) yield { type: "journal", ...journalPush(fromJsonJournalRow(row)) };
      if (run.revision > sent) yield { type: "run", run };
      sent = run.revision;
      if (run.isCompleted) return;
    }
  } finally {
    offRun();
    offReconnect();
    abort?.removeEventListener("abort", changed.signal);
  }
}

/** Every run that changes from now on, read at most once per 100 ms however often it changed. */
export async function* followRuns(deps: FollowDeps, retrieve: (id: string) => Promise<Run>, abort?: AbortSignal): AsyncGenerator<Run> {
  const { listener, channels } = deps;
  const pending = new Set<string>();
  const changed = changeSignal(false);
  const off = listener.on(channels.run, (payload) => {
    for (const id of changedRuns(payload)) pending.add(id);
    changed.signal();
  });
  abort?.addEventListener("abort", changed.signal);
  try {
    for (;;) {
      await changed.wait();
      if (abort?.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
      const ids = [...pending];
      pending.clear();
      for (const id of ids) {
        const run = await retrieve(id).catch(() => undefined);
        if (run) yield run;
      }
    }
  } finally {
    off();
    abort?.removeEventListener("abort", changed.signal);
  }
}
