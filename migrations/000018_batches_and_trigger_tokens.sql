-- A batch (`batchTrigger` from backend code) names its runs, so `runs.subscribeToBatch` and a
-- token scoped to the batch can follow them; written in the runs' own transaction. A table of its
-- own rather than a column on runs: an index on a new runs column would lock a big table while built.
CREATE TABLE :SCHEMA.batches (
  id         text        PRIMARY KEY,
  run_ids    text[]      NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A single-use trigger token (`auth.createTriggerPublicToken`) is spent by the insert of its id,
-- committed before the run is triggered: a token replayed after a crash or by a second tab is refused.
CREATE TABLE :SCHEMA.spent_tokens (
  id         text        PRIMARY KEY,
  expires_at timestamptz NOT NULL,
  spent_at   timestamptz NOT NULL DEFAULT now()
);
