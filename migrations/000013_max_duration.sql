-- maxDuration: a trigger's own limit (a task's comes from its code), and the time the run has
-- spent executing so far, added at each suspension, so that time WAITING or QUEUED never counts.
ALTER TABLE :SCHEMA.runs ADD COLUMN max_duration_ms integer, ADD COLUMN executed_ms bigint NOT NULL DEFAULT 0;
