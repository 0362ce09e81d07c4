-- Realtime streams: chunks a run appends, stored in commit order per (run, key).
-- `run_streams` is one row per stream: appends lock it to number their chunks, so indexes grow
-- in commit order and a reader that saw index N has seen every chunk below it. Both tables
-- belong to the run (ON DELETE CASCADE): deleting a run removes its streams.
CREATE TABLE :SCHEMA.run_streams (
  run_id     text        NOT NULL REFERENCES :SCHEMA.runs (id) ON DELETE CASCADE,
  key        text        NOT NULL,
  -- The highest index given out; superseded chunks keep theirs, so there are gaps.
  last_index bigint      NOT NULL DEFAULT 0,
  -- Live (not superseded) chunks and their bytes; the limit applies to those.
  chunks     bigint      NOT NULL DEFAULT 0,
  bytes      bigint      NOT NULL DEFAULT 0,
  -- The engine's limit when the stream was last appended to: a CHECK rather than a read-then-write.
  max_bytes  bigint      NOT NULL,
  -- Grows by one each time chunks are superseded: readers that saw fewer get a reset.
  resets     integer     NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, key),
  CONSTRAINT stream_size CHECK (bytes <= max_bytes)
);

CREATE TABLE :SCHEMA.stream_chunks (
  run_id        text        NOT NULL,
  key           text        NOT NULL,
  chunk_index   bigint      NOT NULL,
  -- Where in the run the append was made: the io.runTask step it is in, or the journal seq it
  -- follows; `attempt_token` is the step attempt's (0 outside a step); `n` its place there.
  step_seq      integer     NOT NULL,
  attempt_token bigint      NOT NULL,
  n             integer     NOT NULL,
  -- The chunk as JSON text, sent to readers as it is.
  data          text        NOT NULL,
  -- The stream's `resets` that superseded it (its step attempt failed); null while live.
  superseded_in integer,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, key, chunk_index),
  FOREIGN KEY (run_id, key) REFERENCES :SCHEMA.run_streams (run_id, key) ON DELETE CASCADE
);

-- A replayed append finds its place taken and is skipped.
CREATE UNIQUE INDEX stream_chunks_place ON :SCHEMA.stream_chunks (run_id, step_seq, attempt_token, n);
-- Where a reader that missed a reset starts again.
CREATE INDEX stream_chunks_superseded ON :SCHEMA.stream_chunks (run_id, key, superseded_in) WHERE superseded_in IS NOT NULL;
