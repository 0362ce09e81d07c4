-- Debounce: a run triggered with a debounce key starts no earlier than start_after, which each
-- further trigger with the key pushes back while the run has not started. The unique index finds
-- that run, and holds at most one per task and key: a run leaves it when it starts.
ALTER TABLE :SCHEMA.runs ADD COLUMN debounce_key text, ADD COLUMN start_after timestamptz;
CREATE UNIQUE INDEX runs_debounce_idx ON :SCHEMA.runs (task_id, debounce_key)
  WHERE debounce_key IS NOT NULL AND status = 'QUEUED' AND started_at IS NULL;
