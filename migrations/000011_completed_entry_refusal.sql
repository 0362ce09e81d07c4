-- A journal write may replace a failed entry (a retried step), never a completed one. Before, a
-- write that met a completed entry inserted nothing while its statement still updated the run
-- row, so the run's revision, metadata or state could move without its journal. Such a write now
-- fails its whole statement with SQLSTATE DU001, which the engine takes as a refused write. It is
-- only called where a write meets a completed entry, which no known path does any more.
CREATE FUNCTION :SCHEMA.refuse_completed_entry(run_id text, seq integer) RETURNS text
  LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'journal entry % of run % is already completed', seq, run_id USING ERRCODE = 'DU001';
END
$$;
