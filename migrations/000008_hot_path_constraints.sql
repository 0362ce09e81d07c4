-- Every io call's statement paid for two kinds of constraint on every write, about 7% of a lone
-- write each (2-core machine): the foreign keys from the journal and the metadata history to
-- runs ran a lookup query per inserted row, and a table's CHECK constraints are read back from
-- their stored text by every statement that writes the table.
--
-- Those rows are only written by statements that update or read their run in the same statement,
-- so the keys hold by construction; deleting runs still deletes their journal and metadata
-- history, as ON DELETE CASCADE did (the trigger below). Allowed values move into domains, whose
-- checks Postgres prepares once per connection.

ALTER TABLE :SCHEMA.journal DROP CONSTRAINT journal_run_id_fkey;
ALTER TABLE :SCHEMA.run_metadata_history DROP CONSTRAINT run_metadata_history_run_id_fkey;

CREATE FUNCTION :SCHEMA.delete_runs_records() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM :SCHEMA.journal j USING deleted_runs d WHERE j.run_id = d.id;
  DELETE FROM :SCHEMA.run_metadata_history h USING deleted_runs d WHERE h.run_id = d.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER runs_delete_records AFTER DELETE ON :SCHEMA.runs
  REFERENCING OLD TABLE AS deleted_runs FOR EACH STATEMENT EXECUTE FUNCTION :SCHEMA.delete_runs_records();

CREATE DOMAIN :SCHEMA.run_status AS text
  CHECK (VALUE IN ('QUEUED', 'EXECUTING', 'WAITING', 'SUCCESS', 'FAILURE', 'CANCELED'));
CREATE DOMAIN :SCHEMA.entry_status AS text CHECK (VALUE IN ('completed', 'failed'));
CREATE DOMAIN :SCHEMA.concurrency_limit AS integer CHECK (VALUE > 0);

ALTER TABLE :SCHEMA.runs DROP CONSTRAINT runs_status_check, ALTER COLUMN status TYPE :SCHEMA.run_status,
  DROP CONSTRAINT runs_concurrency_limit_check, ALTER COLUMN concurrency_limit TYPE :SCHEMA.concurrency_limit;
ALTER TABLE :SCHEMA.journal DROP CONSTRAINT journal_status_check, ALTER COLUMN status TYPE :SCHEMA.entry_status;
