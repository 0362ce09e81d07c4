-- Deleting a run makes Postgres check that no run was forked from it (the forked_from foreign
-- key), and without an index that check read the whole runs table for each deleted run: deleting
-- 2,000 of 20,000 runs took 2.7 s, 24 ms with this index (2-core machine). Partial, like the
-- parent index: most runs are no fork and cost the index nothing.
CREATE INDEX runs_forked_from_idx ON :SCHEMA.runs (forked_from) WHERE forked_from IS NOT NULL;
