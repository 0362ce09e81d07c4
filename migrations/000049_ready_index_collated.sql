--! no-transaction
-- The claim of ready runs walks runs_ready_idx in claim order and stops after the runs it takes.
-- Statistics gathered while no run was QUEUED (any database whose runs had all finished at its
-- last ANALYZE: a table of a million finished runs, or an idle one of two thousand) estimate one
-- QUEUED run, and the planner took the status index instead (status, created_at), read every
-- QUEUED entry, the dead ones of every run claimed since the last VACUUM included, and sorted
-- them: on the big-tables bench 1,200 runs read a claim, 3 ms for the journal batch that carried
-- it against 1 ms. The claim now spells its status test in the "C" collation, which the status
-- index cannot serve, and the ready index is rebuilt with the same test as its predicate, which
-- the claim's test proves.
-- Built CONCURRENTLY under a name of its own, then put in the old one's place (as migration 44):
-- a migrator stopped half-way runs this again from the top.
DROP INDEX CONCURRENTLY IF EXISTS :SCHEMA.runs_ready_claim_idx;
CREATE INDEX CONCURRENTLY runs_ready_claim_idx ON :SCHEMA.runs (ready_at, id) WHERE status = 'QUEUED' COLLATE "C" AND ready_at IS NOT NULL;
DROP INDEX CONCURRENTLY IF EXISTS :SCHEMA.runs_ready_idx;
ALTER INDEX :SCHEMA.runs_ready_claim_idx RENAME TO runs_ready_idx;
