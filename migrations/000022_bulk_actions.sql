-- Bulk actions (runs.bulk.*): the runs a filter matched are frozen into items when the action is
-- created, and each run is acted on in the transaction that marks its item done. A process that
-- dies mid-action leaves every run either acted on and marked, or neither: whoever resumes the
-- action (another process, once its heartbeat has lapsed) acts on the rest, each once.
CREATE TABLE :SCHEMA.bulk_actions (
  id text PRIMARY KEY,
  action text NOT NULL CONSTRAINT bulk_action_kind CHECK (action IN ('retry', 'cancel', 'replay', 'fork')),
  filter jsonb NOT NULL,
  options jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'RUNNING' CONSTRAINT bulk_action_status CHECK (status IN ('RUNNING', 'COMPLETED')),
  total integer NOT NULL,
  succeeded integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  -- The process working on the action: it refreshes heartbeat_at after each run.
  owner uuid,
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX bulk_actions_running_idx ON :SCHEMA.bulk_actions (heartbeat_at) WHERE status = 'RUNNING';

-- No foreign key to runs: purging runs must not scan this table, and an item whose run is gone fails.
CREATE TABLE :SCHEMA.bulk_action_items (
  bulk_action_id text NOT NULL REFERENCES :SCHEMA.bulk_actions (id) ON DELETE CASCADE,
  run_id text NOT NULL,
  -- The run a replay or fork started.
  result_run_id text,
  error text,
  done_at timestamptz,
  PRIMARY KEY (bulk_action_id, run_id)
);
CREATE INDEX bulk_action_items_pending_idx ON :SCHEMA.bulk_action_items (bulk_action_id, run_id) WHERE done_at IS NULL;
