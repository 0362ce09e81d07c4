-- durably schema, version 1. ":SCHEMA" is replaced by the quoted schema name at run time.

CREATE TABLE :SCHEMA.tasks (
  id             text        NOT NULL,
  version        text        NOT NULL,
  kind           text        NOT NULL CHECK (kind IN ('task', 'job')),
  event_name     text,
  registered_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, version)
);
CREATE INDEX tasks_event_name_idx ON :SCHEMA.tasks (event_name) WHERE event_name IS NOT NULL;

CREATE TABLE :SCHEMA.events (
  id          text        PRIMARY KEY,
  name        text        NOT NULL,
  payload     jsonb       NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE :SCHEMA.runs (
  id               text        PRIMARY KEY,
  task_id          text        NOT NULL,
  task_version     text        NOT NULL,
  event_id         text        REFERENCES :SCHEMA.events (id),
  parent_run_id    text        REFERENCES :SCHEMA.runs (id),
  payload          jsonb       NOT NULL,
  status           text        NOT NULL CHECK (status IN ('QUEUED', 'EXECUTING', 'WAITING', 'SUCCESS', 'FAILURE', 'CANCELED')),
  output           jsonb,
  error            jsonb,
  metadata         jsonb       NOT NULL DEFAULT '{}',
  tags             text[]      NOT NULL DEFAULT '{}',
  idempotency_key  text,
  attempts         integer     NOT NULL DEFAULT 0,
  lease            uuid,
  revision         bigint      NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX runs_idempotency_idx ON :SCHEMA.runs (task_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX runs_created_idx ON :SCHEMA.runs (created_at);
CREATE INDEX runs_status_idx ON :SCHEMA.runs (status, created_at DESC);
CREATE INDEX runs_task_idx ON :SCHEMA.runs (task_id, created_at DESC);
CREATE INDEX runs_event_idx ON :SCHEMA.runs (event_id) WHERE event_id IS NOT NULL;
CREATE INDEX runs_parent_idx ON :SCHEMA.runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
CREATE INDEX runs_tags_idx ON :SCHEMA.runs USING gin (tags);

-- The one source of truth for replay: one row per io call, numbered in call order.
CREATE TABLE :SCHEMA.journal (
  run_id       text        NOT NULL REFERENCES :SCHEMA.runs (id) ON DELETE CASCADE,
  seq          integer     NOT NULL,
  kind         text        NOT NULL,
  key          text        NOT NULL,
  status       text        NOT NULL CHECK (status IN ('completed', 'failed')),
  output       jsonb,
  error        jsonb,
  attempts     integer     NOT NULL DEFAULT 1,
  revision     bigint      NOT NULL,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, seq)
);

CREATE TABLE :SCHEMA.run_statuses (
  run_id      text        NOT NULL REFERENCES :SCHEMA.runs (id) ON DELETE CASCADE,
  key         text        NOT NULL,
  label       text        NOT NULL,
  state       text        CHECK (state IN ('loading', 'success', 'failure')),
  data        jsonb,
  seq         integer     NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, key)
);

-- Append-only: every version a status ever showed.
CREATE TABLE :SCHEMA.run_status_history (
  run_id  text        NOT NULL REFERENCES :SCHEMA.runs (id) ON DELETE CASCADE,
  seq     integer     NOT NULL,
  key     text        NOT NULL,
  label   text        NOT NULL,
  state   text,
  data    jsonb,
  at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, seq)
);

-- Append-only: every metadata change; seq 0 is the metadata given at trigger time.
CREATE TABLE :SCHEMA.run_metadata_history (
  run_id    text        NOT NULL REFERENCES :SCHEMA.runs (id) ON DELETE CASCADE,
  seq       integer     NOT NULL,
  op        text        NOT NULL,
  key       text,
  value     jsonb,
  metadata  jsonb       NOT NULL,
  at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, seq)
);
