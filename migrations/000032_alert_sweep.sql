-- Alerts a crash kept from being recorded (docs/observability.md#alerts). A run's end and its
-- alert are two commits; a process that dies between them used to lose the alert. Each alert url
-- now has a cursor: the time up to which every run that ended with an alert-worthy status has
-- been looked at, so any engine's sweep records what the dead one did not. A delivery names the
-- end it is for (the run's finished_at), so a run retried and failing again is alerted again,
-- while the two writers of one end (the ending process, a sweep) record it once.
-- A new table and a nullable column without a default: no rewrite.
CREATE TABLE :SCHEMA.alert_cursors (
  url text PRIMARY KEY,
  swept_to timestamptz NOT NULL
);
ALTER TABLE :SCHEMA.alert_deliveries ADD COLUMN run_finished_at timestamptz;
