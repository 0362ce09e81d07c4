--! no-transaction
-- Priority in queues with a concurrency limit or a rate limit. Their runs start through jobs, not
-- runs_ready_idx; queue_ready_at is when such a run became ready in its queue (triggered, or its
-- job fell due), less its priority, as ready_at is for other runs. A claim in a limited queue
-- takes a run only if no run of its queue and key ranks before it; the index serves that lookup
-- in rank order (keyed so that a run without a concurrency key is found by equality, which keeps
-- the order). A nullable column without a default rewrites nothing, and the index is built
-- CONCURRENTLY (migrations/README.md): every statement can run again after a cut.
ALTER TABLE :SCHEMA.runs ADD COLUMN IF NOT EXISTS queue_ready_at timestamptz;
DROP INDEX CONCURRENTLY IF EXISTS :SCHEMA.runs_queue_turn_idx;
CREATE INDEX CONCURRENTLY runs_queue_turn_idx ON :SCHEMA.runs (queue, (coalesce(concurrency_key, '')), queue_ready_at, id) WHERE queue_ready_at IS NOT NULL AND status IN ('QUEUED', 'WAITING');
