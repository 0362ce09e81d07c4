-- Retention: a task's own retention (ms) beside its other registered options, and everything a
-- run owned deleted with it. Adding a nullable column and replacing a function rewrite nothing.
--
-- The trigger runs once per DELETE statement on runs (a purge batch), with the deleted runs as a
-- transition table: the journal and metadata history (as before), the run's place in batches,
-- bulk actions and waitpoints, finished waitpoints only it waited on, and events no run still
-- uses. Logs and streams (and their chunks) already go by ON DELETE CASCADE.

ALTER TABLE :SCHEMA.tasks ADD COLUMN retention_ms bigint;

CREATE OR REPLACE FUNCTION :SCHEMA.delete_runs_records() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  gone text[] := ARRAY(SELECT id FROM deleted_runs);
BEGIN
  DELETE FROM :SCHEMA.journal j USING deleted_runs d WHERE j.run_id = d.id;
  DELETE FROM :SCHEMA.run_metadata_history h USING deleted_runs d WHERE h.run_id = d.id;
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
