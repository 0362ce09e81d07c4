-- A fork's audit chain starts from its origin's hash at the fork point (engine/db/sql/audit.ts),
-- kept here so that verify can check the link and walk from the fork into its origin. A nullable
-- column without a default: added without a rewrite; forks made before it have none.
ALTER TABLE :SCHEMA.runs ADD COLUMN audit_origin bytea;
