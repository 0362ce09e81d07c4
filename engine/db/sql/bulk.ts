import { runConditions, whereOf, type Query, type RunListFilter } from "./run-list.ts";

/** A bulk action's runs: a run list's filter, plus the task version and run ids picked one by one. */
export interface BulkRunsSelection extends RunListFilter {
  taskVersion: string | null;
  runIds: readonly string[] | null;
}

/** Statements on `bulk_actions` and `bulk_action_items` (runs.bulk.*). */
export function bulkStatements(s: string) {
  /** FROM and WHERE of the runs the selection matches, written for its fields as the run lists' are. */
  const matching = (selection: BulkRunsSelection, values: unknown[]) => {
    const conds = runConditions(selection, values, true);
    if (selection.taskVersion !== null) conds.push(`r.task_version = $${values.push(selection.taskVersion)}`);
    if (selection.runIds !== null) conds.push(`r.id = ANY($${values.push(selection.runIds)}::text[])`);
    return `FROM ${s}.runs r ${whereOf(conds)}`;
  };
  const columns = "id, action, status, total, succeeded, failed, created_at, finished_at";
  return {
    count(selection: BulkRunsSelection): Query {
      const values: unknown[] = [];
      return { text: `SELECT count(*)::int AS count ${matching(selection, values)}`, values };
    },

    /** The action (its id, kind, filter as given, options, owner) with an item per run the selection matches now. */
    create(selection: BulkRunsSelection, action: { id: string; kind: string; filter: string; options: object; owner: string }): Query {
      const values: unknown[] = [];
      const from = matching(selection, values);
      const id = `$${values.push(action.id)}`;
      return {
        text: `
      WITH items AS (
        INSERT INTO ${s}.bulk_action_items (bulk_action_id, run_id) SELECT ${id}, r.id ${from}
        RETURNING run_id
      )
      INSERT INTO ${s}.bulk_actions (id, action, filter, options, total, owner)
      SELECT ${id}, $${values.push(action.kind)}, $${values.push(action.filter)}, $${values.push(action.options)}, (SELECT count(*) FROM items), $${values.push(action.owner)}
      RETURNING ${columns}`,
        values,
      };
    },

    get: `SELECT ${columns}, options FROM ${s}.bulk_actions WHERE id = $1`,

    /**
     * Takes the action for $2 unless another process holds it with a heartbeat newer than $3
     * seconds; returns it (with its options) when taken.
     */
    take: `
      UPDATE ${s}.bulk_actions SET owner = $2, heartbeat_at = now()
      WHERE id = $1 AND status = 'RUNNING' AND (owner IS NULL OR owner = $2 OR heartbeat_at < now() - make_interval(secs => $3))
      RETURNING action, options`,

    /** Actions whose process stopped refreshing them (it died) for $1 seconds. */
    abandoned: `SELECT id FROM ${s}.bulk_actions WHERE status = 'RUNNING' AND heartbeat_at < now() - make_interval(secs => $1) ORDER BY id`,

    pending: `SELECT run_id FROM ${s}.bulk_action_items WHERE bulk_action_id = $1 AND done_at IS NULL ORDER BY run_id LIMIT $2`,

    /** Locks an item still to do, in the transaction that acts on its run; nothing once it is done. */
    lockItem: `SELECT run_id FROM ${s}.bulk_action_items WHERE bulk_action_id = $1 AND run_id = $2 AND done_at IS NULL FOR UPDATE`,

    /**
     * Marks the item ($3 the run it started, $4 why it failed) and counts it, in the same
     * transaction, and tells the action's followers on channel $5 (`<id>`, on commit) unless the
     * item before it did so less than 100 ms ago: a progress bar needs no more, and a
     * notification per run would cost every listening process a read per run.
     */
    finishItem: `
      WITH item AS (
        UPDATE ${s}.bulk_action_items SET done_at = now(), result_run_id = $3, error = $4
        WHERE bulk_action_id = $1 AND run_id = $2
      ), action AS (
        UPDATE ${s}.bulk_actions a SET heartbeat_at = now(),
          succeeded = a.succeeded + CASE WHEN $4::text IS NULL THEN 1 ELSE 0 END,
          failed = a.failed + CASE WHEN $4::text IS NULL THEN 0 ELSE 1 END
        FROM (SELECT heartbeat_at AS previous FROM ${s}.bulk_actions WHERE id = $1) p
        WHERE a.id = $1
        RETURNING a.id, p.previous
      )
      SELECT pg_notify($5, id) FROM action WHERE previous <= now() - interval '100 milliseconds'`,

    /** Completes the action once every item is done, and tells its followers on channel $2. */
    complete: `
      UPDATE ${s}.bulk_actions SET status = 'COMPLETED', finished_at = now(), owner = NULL
      WHERE id = $1 AND status = 'RUNNING'
        AND NOT EXISTS (SELECT 1 FROM ${s}.bulk_action_items WHERE bulk_action_id = $1 AND done_at IS NULL)
      RETURNING pg_notify($2, id)`,

    /** Lets another process take the action at once (this one is stopping). */
    release: `UPDATE ${s}.bulk_actions SET owner = NULL WHERE id = $1 AND owner = $2`,

    items: `
      SELECT run_id, result_run_id, error, done_at FROM ${s}.bulk_action_items
      WHERE bulk_action_id = $1 ORDER BY run_id LIMIT $2`,
  };
}
