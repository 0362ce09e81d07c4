--! no-transaction
-- Fills runs.metadata_search (migration 46) for the runs written before it, then moves the GIN
-- index of the metadata filters onto it: with no index left on runs.metadata, a metadata write of
-- an executing run is HOT. The procedure commits every batch, so this file runs outside a
-- transaction; run again from the top (a migrator stopped half-way), the backfill finds nothing
-- left to copy, and the build drops the INVALID index a cut build left. Each copied run gets a new
-- row version: at a million runs with metadata the copy took `runs` from about
-- 480 to 960 MB, space that later runs fill but the table keeps.
CALL :SCHEMA.backfill_metadata_search();
DROP INDEX CONCURRENTLY IF EXISTS :SCHEMA.runs_metadata_search_idx;
CREATE INDEX CONCURRENTLY runs_metadata_search_idx ON :SCHEMA.runs USING gin (metadata_search) WHERE metadata_search <> '{}'::jsonb;
DROP INDEX CONCURRENTLY IF EXISTS :SCHEMA.runs_metadata_idx;
