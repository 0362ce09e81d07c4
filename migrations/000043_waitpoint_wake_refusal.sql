-- A token's completion is one statement on its own (no transaction around it) unless a run it
-- names cannot be resumed in that statement (in a limited queue, locked, not waiting on it): such
-- a run is woken by a pg-boss job, which must commit with the completion. The statement then fails
-- with SQLSTATE DU002, undoing itself, and the engine completes the token again in a transaction
-- that sends the jobs. A new function rewrites no table.
CREATE FUNCTION :SCHEMA.refuse_wake_jobs(run_ids text[]) RETURNS boolean
  LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'waking runs % needs jobs sent in the completion''s transaction', run_ids USING ERRCODE = 'DU002';
END
$$;
