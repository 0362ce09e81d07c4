-- A manual retry (runs.retry) gives a failed step a fresh set of attempts while `attempts` keeps
-- counting every execution of it, for the audit trail.
ALTER TABLE :SCHEMA.journal ADD COLUMN attempts_before_retry integer NOT NULL DEFAULT 0;
