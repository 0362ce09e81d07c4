-- Alert webhooks (docs/observability.md#alerts): each alert a run's end sent to a url, the exact
-- body that was signed, and every attempt at delivering it, for an operator to see. A new, empty
-- table: its foreign key locks runs only for this statement (nothing to validate), and purging a
-- run deletes its alerts.
CREATE TABLE :SCHEMA.alert_deliveries (
  id text PRIMARY KEY,
  event text NOT NULL CONSTRAINT alert_event CHECK (event IN ('run.failed', 'run.timed_out', 'run.canceled')),
  run_id text NOT NULL REFERENCES :SCHEMA.runs (id) ON DELETE CASCADE,
  task_id text NOT NULL,
  url text NOT NULL,
  body text NOT NULL,
  status text NOT NULL DEFAULT 'PENDING' CONSTRAINT alert_delivery_status CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
  -- [{ at, status (the HTTP status, or null), error (why it failed, or null) }], oldest first.
  attempts jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz
);
CREATE INDEX alert_deliveries_run_idx ON :SCHEMA.alert_deliveries (run_id);
