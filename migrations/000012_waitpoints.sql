-- Waitpoint tokens: a run waits on one until something outside completes it or it times out.
-- `run_ids` are the runs that waited on the token, kept on its row rather than in a table of
-- their own: a completion is one UPDATE of this row, and a run registering concurrently holds
-- the row lock, so the completion's RETURNING (read after that lock) names it. A table read in
-- the same statement would be read from the statement's snapshot and miss it.
CREATE TABLE :SCHEMA.waitpoints (
  id text PRIMARY KEY,
  -- SHA-256 of the secret in the callback URL: the database never holds the secret itself.
  secret_hash bytea NOT NULL,
  status text NOT NULL DEFAULT 'WAITING'
    CONSTRAINT waitpoint_status CHECK (status IN ('WAITING', 'COMPLETED', 'TIMED_OUT')),
  output jsonb,
  timeout_at timestamptz,
  idempotency_key text,
  idempotency_key_expires_at timestamptz,
  tags text[] NOT NULL DEFAULT '{}',
  run_ids text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);

CREATE UNIQUE INDEX waitpoints_idempotency_key ON :SCHEMA.waitpoints (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX waitpoints_run_ids ON :SCHEMA.waitpoints USING gin (run_ids);
CREATE INDEX waitpoints_tags ON :SCHEMA.waitpoints USING gin (tags);
