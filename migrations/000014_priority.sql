-- priority: a trigger's head start in seconds, as Trigger.dev's time offset. A ready run's ready_at
-- is set that many seconds before the moment it became ready, so runs_ready_idx serves the order
-- of claims unchanged and a run of priority 0 waits behind higher ones for at most their offset.
ALTER TABLE :SCHEMA.runs ADD COLUMN priority integer NOT NULL DEFAULT 0 CONSTRAINT run_priority CHECK (priority >= 0);
-- Runs that became ready in one statement (a batch) share ready_at: their ids, made in order, keep it.
DROP INDEX :SCHEMA.runs_ready_idx;
CREATE INDEX runs_ready_idx ON :SCHEMA.runs (ready_at, id) WHERE status = 'QUEUED' AND ready_at IS NOT NULL;
