-- keepStatusHistory (docs/retention.md): a purged run whose task (or engine) keeps its history
-- longer leaves its status entries (journal rows of kind 'status') and metadata history where they
-- are, and one row here with what reading and verifying them needs once the run row is gone: its
-- status, revision, chain head and fork link, and when they go (keep_until). The purge statement
-- writes this row in the same statement that deletes the run; the trigger below, which runs at the
-- end of that statement, sees it and spares those rows.
-- A new table, a nullable column without a default and a replaced function: nothing is rewritten.
ALTER TABLE :SCHEMA.tasks ADD COLUMN keep_history_ms bigint;

CREATE TABLE :SCHEMA.kept_histories (
  run_id text PRIMARY KEY,
  task_id text NOT NULL,
  status :SCHEMA.run_status NOT NULL,
  revision bigint NOT NULL,
  created_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  audit_hash bytea,
  audit_origin bytea,
  forked_from text,
  keep_until timestamptz NOT NULL
);
CREATE INDEX kept_histories_until_idx ON :SCHEMA.kept_histories (keep_until);

CREATE OR REPLACE FUNCTION :SCHEMA.delete_runs_records() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  gone text[] := ARRAY(SELECT id FROM deleted_runs);
BEGIN
  DELETE FROM :SCHEMA.journal j USING deleted_runs d WHERE j.run_id = d.id
    AND NOT (j.kind = 'status' AND EXISTS (SELECT 1 FROM :SCHEMA.kept_histories k WHERE k.run_id = d.id));
  DELETE FROM :SCHEMA.run_metadata_history h USING deleted_runs d WHERE h.run_id = d.id
    AND NOT EXISTS (SELECT 1 FROM :SCHEMA.kept_histories k WHERE k.run_id = d.id);
  DELETE FROM :SCHEMA.batches WHERE run_ids <@ gone;
  UPDATE :SCHEMA.batches SET run_ids = ARRAY(SELECT x FROM unnest(run_ids) x WHERE x <> ALL (gone)) WHERE run_ids && gone;
  DELETE FROM :SCHEMA.bulk_action_items WHERE run_id = ANY (gone);
  UPDATE :SCHEMA.bulk_action_items SET result_run_id = NULL WHERE result_run_id = ANY (gone);
  DELETE FROM :SCHEMA.waitpoints WHERE run_ids && gone AND run_ids <@ gone AND status <> 'WAITING';
  UPDATE :SCHEMA.waitpoints SET run_ids = ARRAY(SELECT x FROM unnest(run_ids) x WHERE x <> ALL (gone)) WHERE run_ids && gone;
  DELETE FROM :SCHEMA.events e USING deleted_runs d
    WHERE e.id = d.event_id AND NOT EXISTS (SELECT 1 FROM :SCHEMA.runs r WHERE r.event_id = e.id);
  RETURN NULL;
END
$$;
