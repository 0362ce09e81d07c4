-- durably schema, version 2: child runs, concurrency queues, ttl and idempotency expiry, schedules.

-- A child triggered with `triggerAndWait`: finishing it wakes its parent.
ALTER TABLE :SCHEMA.runs ADD COLUMN resume_parent boolean NOT NULL DEFAULT false;
-- After this moment the idempotency key no longer deduplicates (it is cleared by the next trigger).
ALTER TABLE :SCHEMA.runs ADD COLUMN idempotency_key_expires_at timestamptz;
-- A run not started by this moment is CANCELED with reason EXPIRED.
ALTER TABLE :SCHEMA.runs ADD COLUMN expires_at timestamptz;
-- Concurrency: at most `concurrency_limit` runs of one (queue, concurrency_key) are EXECUTING at once.
-- The limit is copied from the task when the run is triggered, so claiming needs no extra lookup.
ALTER TABLE :SCHEMA.runs ADD COLUMN queue text;
ALTER TABLE :SCHEMA.runs ADD COLUMN concurrency_key text;
ALTER TABLE :SCHEMA.runs ADD COLUMN concurrency_limit integer CHECK (concurrency_limit > 0);
-- The run this one was forked from (`runs.fork`).
ALTER TABLE :SCHEMA.runs ADD COLUMN forked_from text REFERENCES :SCHEMA.runs (id);
-- When a schedule fired this run: the occurrence it stands for.
ALTER TABLE :SCHEMA.runs ADD COLUMN scheduled_for timestamptz;
CREATE INDEX runs_queue_executing_idx ON :SCHEMA.runs (queue, concurrency_key) WHERE status = 'EXECUTING';

ALTER TABLE :SCHEMA.tasks ADD COLUMN queue text;
ALTER TABLE :SCHEMA.tasks ADD COLUMN concurrency_limit integer CHECK (concurrency_limit > 0);

-- Schedules. Each has one chain of pg-boss jobs, one per occurrence: the job for `next_at` fires
-- the run and sends the job for the occurrence after it. A job whose time is not `next_at` belongs
-- to a superseded chain (the cron changed) and ends it.
CREATE TABLE :SCHEMA.schedules (
  id                 text        PRIMARY KEY,
  task_id            text        NOT NULL,
  cron               text        NOT NULL,
  timezone           text        NOT NULL DEFAULT 'UTC',
  payload            jsonb,
  deduplication_key  text        NOT NULL UNIQUE,
  declarative        boolean     NOT NULL DEFAULT false,
  next_at            timestamptz NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX schedules_task_idx ON :SCHEMA.schedules (task_id);
