-- A public access token reads a kept history (docs/retention.md) as it read the run: its scopes
-- (run ids, tags, tasks) are checked against the run's id, tags and task, and the run row is gone,
-- so the purge keeps the run's tags with the rest. A nullable column without a default: nothing is
-- rewritten. Histories kept before this migration have no tags (NULL): a token naming the run or
-- its task reads them, one scoped to a tag does not.
ALTER TABLE :SCHEMA.kept_histories ADD COLUMN tags text[];
