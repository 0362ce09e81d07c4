--! no-transaction
-- The indexes of migration 32, built without blocking writes: one delivery per run end and url,
-- and the runs that ended failed or canceled by when they ended, for the sweep. A build cut short
-- leaves an invalid index, which the statement before it drops.
DROP INDEX CONCURRENTLY IF EXISTS :SCHEMA.alert_deliveries_end_idx;
CREATE UNIQUE INDEX CONCURRENTLY alert_deliveries_end_idx ON :SCHEMA.alert_deliveries (run_id, url, run_finished_at);
DROP INDEX CONCURRENTLY IF EXISTS :SCHEMA.runs_alertable_idx;
CREATE INDEX CONCURRENTLY runs_alertable_idx ON :SCHEMA.runs (finished_at) WHERE status IN ('FAILURE', 'CANCELED');
