--! no-transaction
-- Tables of a million runs (issue 23). The run lists' metadata filter read the whole table: a GIN
-- index on runs.metadata answers `?` (the key alone) and `@@` (run-list.ts writes the value as a
-- jsonpath beside its `->>` check). And deleting runs (retention, purge) looked them up in
-- bulk_action_items and batches by run, columns no index led with: each batch of 500 runs read
-- both tables whole (2.9 s a batch beside 100,000 bulk items and 20,000 batches).
-- Built CONCURRENTLY, outside a transaction, so writes go on; a build cut short leaves an invalid
-- index, which the statement before it drops.
DROP INDEX CONCURRENTLY IF EXISTS :SCHEMA.runs_metadata_idx;
CREATE INDEX CONCURRENTLY runs_metadata_idx ON :SCHEMA.runs USING gin (metadata);
DROP INDEX CONCURRENTLY IF EXISTS :SCHEMA.bulk_action_items_run_idx;
CREATE INDEX CONCURRENTLY bulk_action_items_run_idx ON :SCHEMA.bulk_action_items (run_id);
DROP INDEX CONCURRENTLY IF EXISTS :SCHEMA.bulk_action_items_result_idx;
CREATE INDEX CONCURRENTLY bulk_action_items_result_idx ON :SCHEMA.bulk_action_items (result_run_id) WHERE result_run_id IS NOT NULL;
DROP INDEX CONCURRENTLY IF EXISTS :SCHEMA.batches_run_ids_idx;
CREATE INDEX CONCURRENTLY batches_run_ids_idx ON :SCHEMA.batches USING gin (run_ids);
