-- Log lines a run's code wrote (io.logger, logger, console when captured). A line is keyed by
-- where the code was when it wrote it: the journal position (seq of the last io call, or of the
-- step it ran in), the step attempt (0 outside a step) and its index there. A replay writes the
-- lines before its first new call again under the same keys, and they are skipped. `id` orders
-- the lines as they were written and is the readers' cursor. A new table: nothing is rewritten.
CREATE TABLE :SCHEMA.run_logs (
  run_id   text        NOT NULL REFERENCES :SCHEMA.runs (id) ON DELETE CASCADE,
  seq      integer     NOT NULL,
  attempt  integer     NOT NULL,
  idx      integer     NOT NULL,
  id       bigint      GENERATED ALWAYS AS IDENTITY,
  level    text        NOT NULL CHECK (level IN ('debug', 'log', 'info', 'warn', 'error')),
  message  text        NOT NULL,
  fields   jsonb,
  at       timestamptz NOT NULL,
  PRIMARY KEY (run_id, seq, attempt, idx)
);
CREATE INDEX run_logs_run_id_id_idx ON :SCHEMA.run_logs (run_id, id);
