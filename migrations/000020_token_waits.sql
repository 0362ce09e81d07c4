-- The io call a run WAITING on a token will journal its outcome at: the completion that settles
-- the token journals it for the run and makes the run ready in its own transaction, so the run
-- resumes with one claim. Nullable columns without a default: adding them rewrites nothing.
ALTER TABLE :SCHEMA.runs ADD COLUMN wait_token text, ADD COLUMN wait_seq integer, ADD COLUMN wait_started_at timestamptz;
