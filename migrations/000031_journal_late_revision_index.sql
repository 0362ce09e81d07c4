--! no-transaction
-- The journal's revision index held an entry for every journal row, as large as the primary key
-- (both lead with run_id: 81 bytes an entry of the ~410 the journal took, bench journal-size), for
-- one reader: a live subscriber catching up on a run (feed.runSince). A run's first 64 entries are
-- read whole through the primary key in a fraction of a millisecond; only past them does the index
-- save a long run's catch-up from reading its whole journal. It now holds those entries alone, so
-- runs of a usual length cost it nothing (REVISION_INDEXED_AFTER in engine/db/sql/feed.ts).
-- Built and dropped CONCURRENTLY, outside a transaction: journal writes go on meanwhile. A build
-- cut short leaves an invalid index, which the first statement drops before building it again.
DROP INDEX CONCURRENTLY IF EXISTS :SCHEMA.journal_late_revision_idx;
CREATE INDEX CONCURRENTLY journal_late_revision_idx ON :SCHEMA.journal (run_id, revision) WHERE seq > 64;
DROP INDEX CONCURRENTLY IF EXISTS :SCHEMA.journal_revision_idx;
