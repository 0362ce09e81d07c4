-- A live subscriber catching up reads a run's journal entries after a revision
-- (feed.runSince): without this index every update of a long run scanned its whole journal.
CREATE INDEX journal_revision_idx ON :SCHEMA.journal (run_id, revision);
