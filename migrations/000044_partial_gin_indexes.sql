--! no-transaction
-- The GIN indexes of runs hold only runs with tags, and runs with metadata. A run with neither
-- (most runs) put an empty-item entry in both at its insert and at every update that was not HOT
-- (its claim, its end), each through the GIN pending list, whose one metapage every writer locks
-- in turn: 17% of the WAL of the throughput bench's run, 14% of the caller workload's. No filter
-- can match an empty value (run-list.ts adds `<> '{}'` to the tag and metadata conditions, so
-- the planner can prove them), so no list loses a run.
-- Each new index is built CONCURRENTLY under a name of its own, then replaces the old one. A
-- migrator stopped half-way runs this again from the top: the first statement of a pair drops an
-- index its build left (or, stopped before the rename, a valid one, which is built again).
DROP INDEX CONCURRENTLY IF EXISTS :SCHEMA.runs_tags_set_idx;
CREATE INDEX CONCURRENTLY runs_tags_set_idx ON :SCHEMA.runs USING gin (tags) WHERE tags <> '{}'::text[];
DROP INDEX CONCURRENTLY IF EXISTS :SCHEMA.runs_tags_idx;
ALTER INDEX :SCHEMA.runs_tags_set_idx RENAME TO runs_tags_idx;
DROP INDEX CONCURRENTLY IF EXISTS :SCHEMA.runs_metadata_set_idx;
CREATE INDEX CONCURRENTLY runs_metadata_set_idx ON :SCHEMA.runs USING gin (metadata) WHERE metadata <> '{}'::jsonb;
DROP INDEX CONCURRENTLY IF EXISTS :SCHEMA.runs_metadata_idx;
ALTER INDEX :SCHEMA.runs_metadata_set_idx RENAME TO runs_metadata_idx;
