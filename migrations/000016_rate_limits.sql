-- Rate limits: at most rate_limit runs of a queue (per concurrency key) start in any rate_period_ms.
-- Registered with the task version and copied onto each run, like its concurrency limit, so that
-- a claim needs no lookup.
ALTER TABLE :SCHEMA.tasks ADD COLUMN rate_limit integer CHECK (rate_limit > 0), ADD COLUMN rate_period_ms integer CHECK (rate_period_ms > 0);
ALTER TABLE :SCHEMA.runs ADD COLUMN rate_limit integer, ADD COLUMN rate_period_ms integer;
-- The starts a claim in a rate-limited queue counts: its queue and key's, within the period.
CREATE INDEX runs_rate_started_idx ON :SCHEMA.runs (queue, concurrency_key, started_at) WHERE rate_limit IS NOT NULL;
