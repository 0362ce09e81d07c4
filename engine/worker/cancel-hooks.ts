import type { HookParams, LifecycleHooks } from "../../sdk/hooks.ts";
import type { Definition } from "../../sdk/definition.ts";
import type { RunReadRow, RunRow } from "../db/rows.ts";
import { decode } from "../serialize.ts";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
import type { Logger } from "../logger.ts";
import { runContextOf } from "./run-context.ts";

interface CancelHookDeps {
  db: Database;
  sql: Statements;
  logger: Logger;
  notifyChannel: string;
  hooks?: LifecycleHooks;
  findDefinition(taskId: string, version: string): Definition | undefined;
}

/**
 * Calls `onCancel` (the engine's, then the task's) for a CANCELED run, once: a `hook` marker in
 * its journal records the call, so neither a second job nor a run retried and canceled again
 * calls it twice. Called by the execution a cancel stopped, and by the `cancel` job of a run
 * canceled while no execution held it (QUEUED, delayed, WAITING). Errors are logged.
 */
export async function callCancelHooks(deps: CancelHookDeps, row: RunRow, definition: Definition | undefined): Promise<void> {
  const all = [deps.hooks, definition?.hooks].filter((hooks): hooks is LifecycleHooks => hooks?.onCancel !== undefined);
  if (all.length === 0) return;
  const recorded = await deps.db.query(deps.sql.journal.hookRecorded, [row.id, "onCancel"]);
  if (recorded.rows.length > 0) return;
  const startedAt = new Date();
  const params: HookParams = { payload: decode(row.payload), ctx: runContextOf(row), task: row.task_id };
  for (const hooks of all) {
    try {
      await hooks.onCancel!(params);
    } catch (error) {
      deps.logger.error("onCancel hook threw; the run stays CANCELED", { runId: row.id, error: (error as Error)?.message ?? String(error) });
    }
  }
  await deps.db.query(deps.sql.journal.hookOnEndedRun, [row.id, "onCancel", startedAt, deps.notifyChannel]);
}

/** The `cancel` job of a run canceled while no execution held it; answers the run if it is CANCELED. */
export async function cancelHooksOf(deps: CancelHookDeps, runId: string): Promise<RunReadRow | undefined> {
  const { rows } = await deps.db.query<RunReadRow>(deps.sql.runs.get, [runId]);
  const row = rows[0];
  if (row?.status !== "CANCELED") return undefined;
  const definition = deps.findDefinition(row.task_id, row.task_version);
  if (!definition) deps.logger.warn("no code for this canceled run's task in this process; only the engine's onCancel is called", { runId, task: row.task_id });
  await callCancelHooks(deps, row, definition);
  return row;
}
