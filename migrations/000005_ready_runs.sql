-- A run that can start at once (no delay, no concurrency limit) is claimed straight from `runs`
-- by the first free worker, without a pg-boss job: `ready_at` is when it became claimable. Its
-- worker refreshes `heartbeat_at` while it executes; a run whose heartbeat lapsed is made ready
-- again. Runs started by a pg-boss job (delays, waits, retries, limited queues) keep neither:
-- their job's own heartbeat hands them over.
ALTER TABLE :SCHEMA.runs ADD COLUMN ready_at timestamptz, ADD COLUMN heartbeat_at timestamptz;
CREATE INDEX runs_ready_idx ON :SCHEMA.runs (ready_at) WHERE status = 'QUEUED' AND ready_at IS NOT NULL;
