-- A step's timeout (`io.runTask(key, fn, { timeout })`) in milliseconds, kept with its journal
-- entry so that the run page shows the limit each step ran under. Nullable without a default:
-- adding it rewrites nothing, and entries without a timeout store nothing.
ALTER TABLE :SCHEMA.journal ADD COLUMN timeout_ms integer;
