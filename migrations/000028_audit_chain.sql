-- The audit chain (engine/db/sql/audit.ts): each status entry and metadata change carries a hash
-- chained to its run's previous version, whose head the run row keeps. Nullable columns, added
-- without a rewrite; versions written before this migration have no hash.
ALTER TABLE :SCHEMA.runs ADD COLUMN audit_hash bytea;
ALTER TABLE :SCHEMA.journal ADD COLUMN audit_hash bytea;
ALTER TABLE :SCHEMA.run_metadata_history ADD COLUMN audit_hash bytea;
