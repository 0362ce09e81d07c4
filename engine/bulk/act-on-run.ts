import type pg from "pg";
import { InvalidRunStateError, RunNotFoundError, TaskNotFoundError } from "../../sdk/errors.ts";
import type { BulkActionKind, MetadataChange } from "../../sdk/types.ts";
import { toMetadataChange, toRun, type RunReadRow } from "../db/rows.ts";
import { onClient } from "../jobs/job-sender.ts";
import { cancelRunIn } from "../orchestration/cancel-run.ts";
import { forkRunIn } from "../orchestration/fork-run.ts";
import { insertRun, prepareTrigger, type InsertDeps } from "../orchestration/insert-run.ts";

export interface ActDeps extends InsertDeps {
  maxMetadataBytes: number;
  maxPayloadBytes: number;
}

/** Requeues a failed or canceled run inside the caller's transaction (`runs.retry`). */
export async function retryRunIn(deps: ActDeps, client: pg.PoolClient, id: string, status: string): Promise<void> {
  const { rows } = await deps.db.query(deps.sql.runs.requeue, [id, deps.channels.run], client);
  if (rows.length === 0) throw new InvalidRunStateError(`Run ${id} is ${status}; only FAILURE or CANCELED runs can be retried`);
  await deps.scheduler.send(onClient(client), { runId: id, reason: "retry" });
  await client.query("SELECT pg_notify($1, '')", [deps.channels.wake]);
}

/**
 * Does `action` to one run inside the caller's transaction, so that the bulk action's mark of
 * the run commits with it. Returns the run a replay or fork started.
 */
export async function actOnRun(
  deps: ActDeps, client: pg.PoolClient, action: BulkActionKind, id: string, options: { fromSeq?: number },
): Promise<string | null> {
  const { db, sql } = deps;
  const { rows } = await db.query<RunReadRow>(sql.runs.get, [id], client);
  const row = rows[0];
  if (!row) throw new RunNotFoundError(id);
  switch (action) {
    case "retry":
      await retryRunIn(deps, client, id, row.status);
      return null;
    case "cancel": {
      const canceled = await cancelRunIn(deps, client, id);
      if (!canceled.includes(id)) throw new InvalidRunStateError(`Run ${id} had already finished (${row.status})`);
      return null;
    }
    case "replay": {
      const run = toRun(row);
      const version = await db.query<{ version: string }>(sql.events.latestVersion, [run.taskIdentifier], client);
      if (!version.rows[0]) throw new TaskNotFoundError(run.taskIdentifier);
      const prepared = prepareTrigger(
        { taskId: run.taskIdentifier, payload: run.payload, options: { metadata: (await initialMetadata(deps, client, id)), tags: run.tags } },
        version.rows[0].version, deps,
      );
      return (await insertRun(deps, client, prepared)).id;
    }
    case "fork":
      return (await forkRunIn(deps, client, row, await initialMetadata(deps, client, id), options.fromSeq ?? 1)).id;
  }
}

/** The metadata the run was triggered with (its history's seq 0). */
async function initialMetadata(deps: ActDeps, client: pg.PoolClient, id: string) {
  const { rows } = await deps.db.query<Parameters<typeof toMetadataChange>[0]>(deps.sql.metadata.history, [id], client);
  const changes: MetadataChange[] = rows.map(toMetadataChange);
  return changes.find((change) => change.op === "trigger")?.metadata ?? {};
}
