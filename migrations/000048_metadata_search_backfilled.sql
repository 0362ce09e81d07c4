-- Migration 47 has called it; dropped here rather than there, where a migrator stopped between
-- the drop and the migration's record would fail on the call when it ran the file again.
DROP PROCEDURE :SCHEMA.backfill_metadata_search();
